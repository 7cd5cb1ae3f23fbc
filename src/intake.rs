//! A carrier webhook from the wire to verified parameters: size limit, body
//! parsing, then the signature. Nothing reads or writes state before this
//! returns `Ok`.

use switchboard_core::account::{self, AccountSid, Source};
use switchboard_core::form::{Params, MAX_BODY_BYTES};
use switchboard_core::ledger::{Op, Reply};
use switchboard_core::paths::RequestUrl;
use switchboard_core::signature::messagebird as mb;
use switchboard_core::signature::twilio::{self, KeyChoice, Payload, SignatureError};
use switchboard_edge::body::{read_body, Unread};
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::{clock, settings};
use worker::{Env, Method, Request};

/// A deliberate refusal: the status and a short plain reason.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
}

impl Refusal {
    pub fn new(status: u16, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
        }
    }
}

impl From<Unread> for Refusal {
    fn from(e: Unread) -> Refusal {
        Refusal::new(e.status(), e.to_string())
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
    /// The account it belongs to, the only one any route may use.
    pub account: AccountSid,
}

impl Webhook {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }
}

/// Reads and verifies a Twilio webhook, and names the one account it belongs
/// to. The signing key is chosen by that account, so a tenant's token can
/// only ever vouch for that tenant's requests. `seen` is the request's URL
/// as the runtime gives it, read once by the router.
pub async fn twilio(req: &mut Request, env: &Env, seen: &str) -> Result<Webhook, Refusal> {
    let method = req.method();
    if method != Method::Post && method != Method::Get {
        return Err(Refusal::new(405, "carrier webhooks are POST or GET"));
    }
    let body = read_body(req, MAX_BODY_BYTES).await?;
    let url = signed_url(seen, env);
    let query = RequestUrl::split(&url).query.unwrap_or("");
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
    let mut names = named(&params, Source::Query);
    let json_account;
    match payload {
        Payload::Form(f) => names.extend(named(f, Source::Body)),
        Payload::Json(_) => {
            // A JSON body names its account as a top-level string.
            json_account = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("AccountSid")?.as_str().map(str::to_string));
            if let Some(a) = &json_account {
                names.push((Source::Body, a.as_str()));
            }
        }
        Payload::Query => {}
    }
    let account = account::of_webhook(names).map_err(|e| Refusal::new(403, e.to_string()))?;
    let settings_header = req.headers().get(twilio::SETTINGS_HEADER).ok().flatten();
    let (choice, algorithm) = twilio::key_choice(settings_header.as_deref())?;
    let key = signing_key(env, &choice, &account)?;
    twilio::validate(&url, payload, &signature, key.as_bytes(), algorithm)?;

    if let Payload::Form(f) = payload {
        params.extend(f.clone());
    }
    Ok(Webhook { params, account })
}

/// Every `AccountSid` in `p`, with where it was found.
fn named(p: &Params, source: Source) -> Vec<(Source, &str)> {
    p.iter()
        .filter(|(k, _)| *k == "AccountSid")
        .map(|(_, v)| (source, v))
        .collect()
}

/// The URL the carrier signed. Behind a proxy or on a custom domain the
/// worker sees another host (or `http`), so `PUBLIC_BASE_URL` names the
/// public one. The runtime's URL text is read as it is (see `RequestUrl`).
fn signed_url(seen: &str, env: &Env) -> String {
    let base = settings::var(env, "PUBLIC_BASE_URL").unwrap_or_default();
    let base = base.trim().trim_end_matches('/');
    if base.is_empty() {
        return seen.to_string();
    }
    let seen = RequestUrl::split(seen);
    let mut url = format!("{base}{}", seen.path);
    if let Some(q) = seen.query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// Subaccounts sign with their own auth token (`TWILIO_AUTH_TOKEN_<AccountSid>`);
/// the main account with `TWILIO_AUTH_TOKEN`. A shared key
/// (`TWILIO_SHARED_KEY_<key id>`, several live during a rotation) signs only
/// for the accounts it lists.
fn signing_key(env: &Env, choice: &KeyChoice, account: &AccountSid) -> Result<String, Refusal> {
    match choice {
        KeyChoice::SharedKey { id } => {
            let (key, accounts) =
                settings::shared_key(env, id).ok_or(SignatureError::UnknownKey)?;
            if accounts.iter().any(|a| a == account.as_str()) {
                Ok(key)
            } else {
                Err(Refusal::new(
                    403,
                    "this shared key does not sign for this account",
                ))
            }
        }
        KeyChoice::AuthToken => {
            Ok(settings::auth_token(env, account).ok_or(SignatureError::UnknownKey)?)
        }
    }
}

/// A verified MessageBird request: query and body parameters (form or JSON).
pub struct Signed {
    pub params: Params,
    /// Set when the replay check could not be made (the request was let
    /// through, so a caller is never dropped for our failure).
    pub warning: Option<String>,
}

/// Seconds of clock skew a MessageBird token is allowed.
const MB_LEEWAY_SECS: u64 = 1;

/// Reads and verifies a MessageBird webhook (`MessageBird-Signature-JWT`,
/// HS256 with `MESSAGEBIRD_SIGNING_KEY`, over the exact URL and body).
/// `replay_check` is off only for the marked retry of a request that made
/// the worker panic (its token was claimed the first time; the retry only
/// ever gets the sorry message).
pub async fn messagebird(
    req: &mut Request,
    env: &Env,
    replay_check: bool,
    seen: &str,
) -> Result<Signed, Refusal> {
    let body = read_body(req, MAX_BODY_BYTES).await?;
    let url = signed_url(seen, env);
    let token = req
        .headers()
        .get(mb::HEADER)
        .ok()
        .flatten()
        .ok_or_else(|| Refusal::new(403, format!("missing {} header", mb::HEADER)))?;
    let key = settings::secret(env, "MESSAGEBIRD_SIGNING_KEY")
        .ok_or_else(|| Refusal::new(403, "no signing key for this request"))?;
    let now = clock::now_ms() / 1000;
    let verified = mb::verify(&token, key.as_bytes(), &url, &body, now, MB_LEEWAY_SECS)
        .map_err(|e| Refusal::new(403, e.to_string()))?;
    let warning = if replay_check {
        once(env, &verified).await?
    } else {
        None
    };
    let query = RequestUrl::split(&url).query.unwrap_or("");
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
    Ok(Signed { params, warning })
}

/// A token is accepted once: its `jti` is held in its own ledger for as long
/// as the token could still verify, so a captured request cannot be played
/// again, at this edge location or any other.
async fn once(env: &Env, verified: &mb::Verified) -> Result<Option<String>, Refusal> {
    let holder = match clock::random_bytes(8) {
        Ok(b) => b.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        Err(e) => return Ok(Some(format!("replay check skipped: {e}"))),
    };
    let until_ms = verified
        .expires_at
        .saturating_add(MB_LEEWAY_SECS + 1)
        .saturating_mul(1000);
    let claim = Op::Claim {
        key: "seen".into(),
        holder,
        until_ms: Some(until_ms),
    };
    match ask_ledger(env, &scope::token(&verified.jti), &claim).await {
        Ok(Reply::Claimed) => Ok(None),
        Ok(Reply::Held { .. }) => Err(Refusal::new(403, "this token was already used")),
        Ok(other) => Ok(Some(format!("replay check skipped: ledger said {other:?}"))),
        Err(e) => Ok(Some(format!("replay check skipped: {e}"))),
    }
}
