//! REC-05: the login methods of a known account ID, behind a captcha and limits per
//! account ID and per client address.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::{Lifecycle, LoginMethodKind, Site, masking};
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult, login_methods, rate_limit,
};

/// A login method as a stranger may see it: its kind, and the login e-mail masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLoginMethod {
    pub kind: LoginMethodKind,
    pub masked_identifier: Option<String>,
}

/// `findLoginMethods`: an account ID of `site` and a captcha response.
pub struct FindLoginMethods<'a> {
    pub site: Site,
    pub account_number: &'a str,
    pub captcha: &'a str,
}

/// REC-05: the kinds of login method bound to a known account ID and its masked login
/// e-mail, nothing else. Every attempt counts per account ID and per client address first,
/// then the captcha is checked, so neither can be ground through.
pub async fn find_login_methods(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: FindLoginMethods<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<FoundLoginMethod>> {
    let policy = ctx.policies.for_site(request.site);
    let number = request.account_number.trim();
    let site_key = |key: &str| format!("{}:{key}", request.site.as_str());
    let per_account = rate_limit::Limit {
        scope: "find-login-methods-account",
        max_hits: policy.find_login_methods_per_account,
        window: policy.find_login_methods_window,
    };
    rate_limit::hit(&ctx.db, per_account, &site_key(number), now).await?;
    if let Some(client) = &meta.client_address {
        let per_client = rate_limit::Limit {
            scope: "find-login-methods-client",
            max_hits: policy.find_login_methods_per_client,
            window: policy.find_login_methods_window,
        };
        rate_limit::hit(&ctx.db, per_client, &site_key(client), now).await?;
    }
    let solved = !request.captcha.is_empty()
        && ctx
            .captcha
            .verify(request.captcha, meta.client_address.as_deref())
            .await;
    if !solved {
        return Err(ServiceError::refused_at(
            ErrorCode::CaptchaRequired,
            "captcha",
            msg!("err-solve-captcha-first"),
        ));
    }
    use entity::accounts::{Column, Entity};
    let account = Entity::find()
        .filter(Column::AccountNumber.eq(number))
        .filter(Column::Site.eq(request.site.as_str()))
        .filter(Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| {
            ServiceError::refused_at(
                ErrorCode::NotFound,
                "accountId",
                msg!("err-no-account-site-account-id-2"),
            )
        })?;
    login_methods::list(&ctx.db, account.id)
        .await?
        .into_iter()
        .map(|method| {
            let kind = LoginMethodKind::from_stored("login_methods.kind", &method.kind)?;
            let masked_identifier =
                (kind == LoginMethodKind::Email).then(|| masking::mask_email(&method.identifier));
            Ok(FoundLoginMethod {
                kind,
                masked_identifier,
            })
        })
        .collect()
}
