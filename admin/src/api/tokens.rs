//! `…/tokens`: the account's API tokens, managed by the root token only.

use super::{json_body, ApiError, Ctx, Reply};
use crate::tokens::{self, NewToken, Stored};
use serde_json::{json, Value};
use switchboard_edge::store;
use worker::Method;

pub async fn route(cx: &mut Ctx<'_>, method: Method, rest: &[&str]) -> Reply {
    let (kv, account) = (cx.kv, cx.account);
    match (method, rest) {
        (Method::Post, []) => {
            let new: NewToken = json_body(cx.req).await?;
            let (stored, token) = tokens::create(kv, account, new)
                .await
                .map_err(ApiError::Unavailable)?;
            let mut out = tokens::listed(&stored);
            out["token"] = json!(token);
            Ok((201, out))
        }
        (Method::Get, []) => {
            let mut out = Vec::new();
            for (key, _) in store::list::<Value>(kv, &store::tokens_prefix(account)).await? {
                if let Some(t) = store::get_json::<Stored>(kv, &key).await? {
                    out.push(tokens::listed(&t));
                }
            }
            Ok((200, json!({ "tokens": out })))
        }
        (Method::Delete, [id]) => {
            let gone = || ApiError::NotFound("no such token".into());
            if !tokens::valid_id(id) {
                return Err(gone());
            }
            let key = store::token_key(account, id);
            if store::get_json::<Value>(kv, &key).await?.is_none() {
                return Err(gone());
            }
            kv.delete(&key).await?;
            Ok((200, json!({ "revoked": id })))
        }
        _ => Err(ApiError::NoRoute),
    }
}
