//! `…/monitoring`: the account's watch settings (where alerts go, the
//! health lines, how long records are kept), and `…/alerts`: what the
//! scheduled watch raised.

use super::outbound::guard_sms;
use super::{answer, json_body, ApiError, Ctx, Reply};
use switchboard_core::account::AccountSid;
use switchboard_core::records::watch::WatchSettings;
use switchboard_edge::store;
use worker::kv::KvStore;

/// The account's settings, the defaults when it set none.
pub async fn settings(kv: &KvStore, account: &AccountSid) -> Result<WatchSettings, ApiError> {
    Ok(
        store::get_json::<WatchSettings>(kv, &store::watch_key(account))
            .await?
            .unwrap_or_default(),
    )
}

/// `GET …/monitoring`.
pub async fn get(cx: &Ctx<'_>) -> Reply {
    answer(200, &settings(cx.kv, cx.account).await?)
}

/// `PUT …/monitoring`.
pub async fn put(cx: &mut Ctx<'_>) -> Reply {
    let s: WatchSettings = json_body(cx.req).await?;
    s.validate()?;
    if let (Some(to), Some(from)) = (&s.alerts.sms_to, &s.alerts.sms_from) {
        guard_sms(
            cx.kv,
            cx.account,
            "alerts.sms_to",
            to,
            std::slice::from_ref(from),
        )
        .await?;
    }
    store::put_json(cx.kv, &store::watch_key(cx.account), &s).await?;
    answer(200, &s)
}
