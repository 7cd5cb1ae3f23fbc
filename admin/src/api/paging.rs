//! Pages of the API's lists (`crate::contract::page`): the deployment's key
//! for sealing cursors, and a page of KV keys.

use super::{ApiError, Ctx};
use crate::contract::page::{no_filters, Page, PageError, Sealer};
use switchboard_core::phone::E164;
use switchboard_edge::settings;
use switchboard_edge::store;

/// The cursors of `list` (in the request's account) are sealed with the
/// root token: the API is off without one, and rotating it only ends the
/// paging in progress.
pub fn sealer(cx: &Ctx<'_>, list: &str) -> Result<(Vec<u8>, String), ApiError> {
    let key = settings::admin_token(cx.env).ok_or(ApiError::Off)?;
    Ok((key.into_bytes(), format!("{}:{list}", cx.account)))
}

/// The page a list with no filters of its own asks for.
pub fn page(cx: &Ctx<'_>, list: &str) -> Result<(Page, Vec<u8>, String), ApiError> {
    page_with(cx, list, no_filters)
}

/// The page asked for; `other` takes the list's own query parameters.
pub fn page_with(
    cx: &Ctx<'_>,
    list: &str,
    other: impl FnMut(&str, &str) -> Result<(), PageError>,
) -> Result<(Page, Vec<u8>, String), ApiError> {
    let (key, list) = sealer(cx, list)?;
    let query = super::query_of(cx.req)?;
    let page = Sealer {
        key: &key,
        list: list.clone(),
    }
    .page(query.iter(), other)?;
    Ok((page, key, list))
}

/// Seals a store's position as the page's `next_cursor`.
pub fn next(key: &[u8], list: &str, inner: Option<String>) -> Option<String> {
    inner.map(|i| {
        Sealer {
            key,
            list: list.to_string(),
        }
        .seal(&i)
    })
}

/// One page of the keys under `prefix` (with their metadata), and the KV
/// cursor of the next one.
pub async fn kv_page<M: serde::de::DeserializeOwned>(
    cx: &Ctx<'_>,
    prefix: &str,
    page: &Page,
) -> Result<store::KeyPage<M>, ApiError> {
    Ok(store::list_page(cx.kv, prefix, page.limit, page.after.clone()).await?)
}

/// A page of `list`: the keys under `prefix` that end in a number (lines,
/// a line's list entries, the account's blocked callers), each number with
/// its key's metadata, in number order, and the page's sealed next cursor.
/// A key that does not end in a number is left out.
pub async fn numbers_page<M: serde::de::DeserializeOwned>(
    cx: &Ctx<'_>,
    list: &str,
    prefix: &str,
) -> Result<(Vec<(E164, Option<M>)>, Option<String>), ApiError> {
    let (page, key, list) = page(cx, list)?;
    let found = kv_page::<M>(cx, prefix, &page).await?;
    let numbers = found
        .keys
        .into_iter()
        .filter_map(|(k, m)| Some((E164::parse(k.strip_prefix(prefix)?).ok()?, m)))
        .collect();
    Ok((numbers, next(&key, &list, found.next)))
}
