//! `…/outbound` (the account's outbound config) and `…/caller-id?to=` (the
//! number a callee would see), and the guard every number a line or list
//! would dial passes before it is stored.

use super::{answer, json_body, query_of, ApiError, Ctx, Reply};
use crate::contract::outbound::{CallerId, PickedBy};
use switchboard_core::account::AccountSid;
use switchboard_core::outbound::{self, Destination, Outbound};
use switchboard_core::outcome::Target;
use switchboard_core::phone::E164;
use switchboard_edge::outbound::config;
use switchboard_edge::store::{self, Fresh};
use worker::kv::KvStore;

/// `GET …/outbound`.
pub async fn get(cx: &Ctx<'_>) -> Reply {
    answer(200, &required_config(cx.kv, cx.account).await?)
}

/// `PUT …/outbound`: strictly the declared shape, then validated (countries
/// are checked against the numbering plan).
pub async fn put(cx: &mut Ctx<'_>) -> Reply {
    let config: Outbound = json_body(cx.req).await?;
    config.validate()?;
    store::put_json(cx.kv, &store::outbound_key(cx.account), &config).await?;
    answer(200, &config)
}

pub async fn required_config(kv: &KvStore, account: &AccountSid) -> Result<Outbound, ApiError> {
    config(kv, account, Fresh::Kv).await?.ok_or_else(|| {
        ApiError::NotFound(
            "no outbound config for this account: PUT /api/v1/accounts/{AccountSid}/outbound"
                .into(),
        )
    })
}

/// What someone dialled, in the account's country for national spellings,
/// through the static guard (premium, blocked prefixes, countries).
pub fn destination(config: &Outbound, to: &str) -> Result<Destination, ApiError> {
    let dest = switchboard_numbers::parse_destination(to, config.default_country.as_deref())?;
    outbound::check(config, &dest)?;
    Ok(dest)
}

/// `GET …/caller-id?to=…`: the pick and the rule. Does not count against
/// the rate limit (nothing is called).
pub async fn caller_id(cx: &Ctx<'_>) -> Reply {
    let query = query_of(cx.req)?;
    if let Some((k, _)) = query.iter().find(|(k, _)| *k != "to") {
        return Err(ApiError::Malformed(format!(
            "unknown query parameter {k:?}"
        )));
    }
    let to = query
        .get("to")
        .ok_or_else(|| ApiError::Malformed("to is required".into()))?;
    let config = required_config(cx.kv, cx.account).await?;
    let dest = destination(&config, to)?;
    let pick = outbound::pick(&config, &dest);
    answer(
        200,
        &CallerId {
            to: dest.number.clone(),
            country: dest.region.clone(),
            picked: PickedBy::from(&pick),
        },
    )
}

/// A number we would text (a voicemail notice, an alert): through the same
/// guard, with the sender's country as the account's own. A text to a
/// premium number costs money like a call to one.
pub async fn guard_sms(
    kv: &KvStore,
    account: &AccountSid,
    field: &str,
    to: &E164,
    home: &[E164],
) -> Result<(), ApiError> {
    let config = config(kv, account, Fresh::Kv).await?;
    outbound::classify(to)
        .and_then(|d| outbound::check_for(config.as_ref(), home, &d))
        .map_err(|refused| ApiError::Refused {
            refused,
            at: Some(("field", field.to_string())),
        })
}

/// Where a line or its forward list would put calls through: numbers pass
/// the account's guard (the line's own number counts as one the account
/// has), so a line can never become a forwarder to a premium or foreign
/// number the account never allowed.
pub async fn guard_targets(
    kv: &KvStore,
    account: &AccountSid,
    line: &E164,
    targets: &[(String, &Target)],
) -> Result<(), ApiError> {
    let numbers: Vec<(&String, &E164)> = targets
        .iter()
        .filter_map(|(field, t)| match t {
            Target::Number(n) => Some((field, n)),
            _ => None,
        })
        .collect();
    if numbers.is_empty() {
        return Ok(());
    }
    let config = config(kv, account, Fresh::Kv).await?;
    for (field, n) in numbers {
        outbound::classify(n)
            .and_then(|d| outbound::check_for(config.as_ref(), std::slice::from_ref(line), &d))
            .map_err(|refused| ApiError::Refused {
                refused,
                at: Some(("field", field.clone())),
            })?;
    }
    Ok(())
}
