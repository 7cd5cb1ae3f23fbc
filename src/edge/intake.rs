//! A carrier webhook from the wire to verified parameters: size limit, body
//! parsing, then the signature. Nothing reads or writes state before this
//! returns `Ok`.

use crate::form::{Params, MAX_BODY_BYTES};
use crate::signature::twilio::{self, KeyChoice, Payload, SignatureError};
use worker::{Env, Method, Request};

/// A deliberate refusal: the status and a short plain reason.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
        }
    }
}

impl From<SignatureError> for Refusal {
    fn from(e: SignatureError) -> Refusal {
        Refusal::new(403, e.to_string())
    }
}

/// A verified Twilio request.
pub struct Webhook {
    /// Query and body parameters together.
    pub params: Params,
}

impl Webhook {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }
}

/// Reads and verifies a Twilio webhook.
pub async fn twilio(req: &mut Request, env: &Env) -> Result<Webhook, Refusal> {
    let method = req.method();
    if method != Method::Post && method != Method::Get {
        return Err(Refusal::new(405, "carrier webhooks are POST or GET"));
    }
    let body = read_body(req).await?;
    let url = signed_url(req, env).map_err(|e| Refusal::new(400, e))?;
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut params = Params::parse(query).map_err(|e| Refusal::new(400, e.to_string()))?;

    let content_type = req
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let form;
    let payload = if method == Method::Get {
        Payload::Query
    } else if content_type.starts_with("application/json") {
        Payload::Json(&body)
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || (content_type.is_empty() && body.is_empty())
    {
        let text = std::str::from_utf8(&body)
            .map_err(|_| Refusal::new(400, "malformed form: body is not UTF-8"))?;
        form = Params::parse(text).map_err(|e| Refusal::new(400, e.to_string()))?;
        Payload::Form(&form)
    } else {
        return Err(Refusal::new(
            415,
            "expected application/x-www-form-urlencoded or application/json",
        ));
    };

    let signature = req
        .headers()
        .get(twilio::HEADER)
        .ok()
        .flatten()
        .ok_or(SignatureError::Missing)?;
    let settings = req.headers().get(twilio::SETTINGS_HEADER).ok().flatten();
    let (choice, algorithm) = twilio::key_choice(settings.as_deref())?;
    let account = match payload {
        Payload::Form(f) => f.get("AccountSid").or(params.get("AccountSid")),
        _ => params.get("AccountSid"),
    };
    let key = signing_key(env, &choice, account).ok_or(SignatureError::UnknownKey)?;
    twilio::validate(&url, payload, &signature, key.as_bytes(), algorithm)?;

    if let Payload::Form(f) = payload {
        params.extend(f.clone());
    }
    Ok(Webhook { params })
}

/// The body, refused over `MAX_BODY_BYTES` (by its declared length first,
/// so an oversized upload is not read at all). A GET has none.
async fn read_body(req: &mut Request) -> Result<Vec<u8>, Refusal> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    if req.method() == Method::Get {
        return Ok(Vec::new());
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| Refusal::new(400, "could not read the request body"))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(body)
}

fn too_large() -> Refusal {
    Refusal::new(
        413,
        format!("request body over {} KiB", MAX_BODY_BYTES / 1024),
    )
}

/// The URL Twilio signed. Behind a proxy or on a custom domain the worker sees
/// another host (or `http`), so `PUBLIC_BASE_URL` names the public one.
fn signed_url(req: &Request, env: &Env) -> Result<String, String> {
    let seen = req
        .url()
        .map_err(|_| "unreadable request URL".to_string())?;
    let base = env
        .var("PUBLIC_BASE_URL")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let base = base.trim().trim_end_matches('/');
    if base.is_empty() {
        return Ok(seen.to_string());
    }
    let mut url = format!("{base}{}", seen.path());
    if let Some(q) = seen.query() {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}

/// Subaccounts sign with their own auth token (`TWILIO_AUTH_TOKEN_<AccountSid>`);
/// the main account with `TWILIO_AUTH_TOKEN`. Shared keys are
/// `TWILIO_SHARED_KEY_<key id>`: several can be live during a rotation.
fn signing_key(env: &Env, choice: &KeyChoice, account: Option<&str>) -> Option<String> {
    let secret = |name: &str| {
        env.secret(name)
            .ok()
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
    };
    match choice {
        KeyChoice::SharedKey { id } => secret(&format!("TWILIO_SHARED_KEY_{id}")),
        KeyChoice::AuthToken => auth_token(env, account.unwrap_or("")),
    }
}

/// The auth token of `account`: its own secret if it has one, else the main
/// account's. Also the REST API password for that account.
pub fn auth_token(env: &Env, account: &str) -> Option<String> {
    let secret = |name: &str| {
        env.secret(name)
            .ok()
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
    };
    Some(account)
        .filter(|sid| is_account_sid(sid))
        .and_then(|sid| secret(&format!("TWILIO_AUTH_TOKEN_{sid}")))
        .or_else(|| secret("TWILIO_AUTH_TOKEN"))
}

pub fn is_account_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("AC") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A verified MessageBird request: query and body parameters (form or JSON).
pub struct Signed {
    pub params: Params,
}

/// Reads and verifies a MessageBird webhook (`MessageBird-Signature-JWT`,
/// HS256 with `MESSAGEBIRD_SIGNING_KEY`, over the exact URL and body).
pub async fn messagebird(req: &mut Request, env: &Env) -> Result<Signed, Refusal> {
    use crate::signature::messagebird as mb;
    let body = read_body(req).await?;
    let url = signed_url(req, env).map_err(|e| Refusal::new(400, e))?;
    let token = req
        .headers()
        .get(mb::HEADER)
        .ok()
        .flatten()
        .ok_or_else(|| Refusal::new(403, format!("missing {} header", mb::HEADER)))?;
    let key = env
        .secret("MESSAGEBIRD_SIGNING_KEY")
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Refusal::new(403, "no signing key for this request"))?;
    let now = (worker::js_sys::Date::now() / 1000.0) as u64;
    mb::verify(&token, key.as_bytes(), &url, &body, now, 1)
        .map_err(|e| Refusal::new(403, e.to_string()))?;
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut params = Params::parse(query).map_err(|e| Refusal::new(400, e.to_string()))?;
    if !body.is_empty() {
        let text =
            std::str::from_utf8(&body).map_err(|_| Refusal::new(400, "body is not UTF-8"))?;
        if text.trim_start().starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| Refusal::new(400, format!("malformed JSON: {e}")))?;
            if let Some(o) = v.as_object() {
                params
                    .extend(Params::from_pairs(o.iter().filter_map(|(k, v)| {
                        v.as_str().map(|s| (k.clone(), s.to_string()))
                    })));
            }
        } else {
            params.extend(Params::parse(text).map_err(|e| Refusal::new(400, e.to_string()))?);
        }
    }
    Ok(Signed { params })
}
