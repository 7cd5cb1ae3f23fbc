//! `…/tokens`: the account's API tokens, managed by the root token only.

use super::paging::{kv_page, next, page};
use super::{answer, json_body, ApiError, Ctx, Reply};
use crate::contract::tokens::{
    Access, CreatedToken, NewToken, Revoked, Scope, TokenPage, MAX_LABEL,
};
use crate::tokens::{self, Principal, Stored};
use serde_json::Value;
use switchboard_edge::store;

/// `POST …/tokens`: the whole token is in this answer and nowhere else.
pub async fn create(cx: &mut Ctx<'_>) -> Reply {
    let new: NewToken = json_body(cx.req).await?;
    if new
        .label
        .as_ref()
        .is_some_and(|l| l.chars().count() > MAX_LABEL)
    {
        return Err(ApiError::invalid(
            "label",
            format!("label: at most {MAX_LABEL} characters"),
        ));
    }
    let (stored, token) = tokens::create(cx.kv, cx.account, new)
        .await
        .map_err(ApiError::Unavailable)?;
    answer(
        201,
        &CreatedToken {
            listed: tokens::listed(&stored),
            token,
        },
    )
}

/// `GET …/tokens`: a page, in id order.
pub async fn list(cx: &Ctx<'_>) -> Reply {
    let (page, key, list) = page(cx, "tokens")?;
    let found = kv_page::<Value>(cx, &store::tokens_prefix(cx.account), &page).await?;
    let keys: Vec<String> = found.keys.into_iter().map(|(k, _)| k).collect();
    let tokens = store::get_many::<Stored>(cx.kv, &keys)
        .await?
        .iter()
        .flatten()
        .map(tokens::listed)
        .collect();
    answer(
        200,
        &TokenPage {
            tokens,
            next_cursor: next(&key, &list, found.next),
        },
    )
}

/// `DELETE …/tokens/{TokenId}`.
pub async fn revoke(cx: &Ctx<'_>) -> Reply {
    let id = cx.param(0);
    let gone = || ApiError::NotFound("no such token".into());
    if !tokens::valid_id(id) {
        return Err(gone());
    }
    let key = store::token_key(cx.account, id);
    if store::get_json::<Value>(cx.kv, &key).await?.is_none() {
        return Err(gone());
    }
    cx.kv.delete(&key).await?;
    answer(
        200,
        &Revoked {
            revoked: id.to_string(),
        },
    )
}

/// `GET …/access`: any token that reaches the account may ask what it may
/// do there (the console hides what a read-only token could not do).
pub fn access(cx: &Ctx<'_>) -> Reply {
    let (scope, writes) = match cx.who {
        Principal::Root => ("root", true),
        Principal::Account {
            scope: Scope::Write,
            ..
        } => ("write", true),
        Principal::Account {
            scope: Scope::Read, ..
        } => ("read", false),
    };
    answer(
        200,
        &Access {
            scope: scope.into(),
            writes,
        },
    )
}
