//! Two languages (issue 17, item 8): every text a user reads — userError messages, the
//! message center's notices and what is e-mailed or texted, the verification-code bodies —
//! is a key of the Fluent resources `locales/en/main.ftl` and `locales/zh-CN/main.ftl`,
//! rendered in `zh-CN` or `en`.
//!
//! Which language: the request's `Accept-Language` (its first `zh*` or `en*` range by
//! weight) when it names one, otherwise the account's site (CHINA → zh-CN,
//! INTERNATIONAL → en), otherwise (an anonymous request naming no site) English.
//!
//! The code builds a [`Message`] (a key and its arguments, with [`msg!`]) and renders it
//! where the reader is known: a userError at the GraphQL boundary, a notice when it is
//! written (see `service::notices`), a code body when it is sent.

use std::{fmt, sync::LazyLock};

use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use unic_langid::LanguageIdentifier;

use crate::domain::Site;

/// The English resource, embedded in the binary.
pub const EN_FTL: &str = include_str!("../locales/en/main.ftl");
/// The Simplified Chinese resource, embedded in the binary.
pub const ZH_CN_FTL: &str = include_str!("../locales/zh-CN/main.ftl");

/// A language the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language an `Accept-Language` header asks for: the heaviest `zh*` or `en*`
    /// range (the first of equal weights); `None` when it names neither.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            let lang = match primary {
                "zh" => Lang::ZhCn,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The language of a site's users.
    pub fn for_site(site: Site) -> Lang {
        match site {
            Site::China => Lang::ZhCn,
            Site::International => Lang::En,
        }
    }

    /// The request's language if it named one, else the site's, else English.
    pub fn resolve(requested: Option<Lang>, site: Option<Site>) -> Lang {
        requested
            .or_else(|| site.map(Lang::for_site))
            .unwrap_or(Lang::En)
    }
}

/// One argument of a message: a text, a number, another message rendered in the same
/// language, or a list of messages joined by a separator message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Number(i64),
    Msg(Message),
    List {
        separator: Box<Message>,
        items: Vec<Message>,
    },
}

impl Arg {
    /// Messages joined by `separator` (itself a message, e.g. `msg!("list-and")`).
    pub fn list(separator: Message, items: Vec<Message>) -> Self {
        Arg::List {
            separator: Box::new(separator),
            items,
        }
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<Message> for Arg {
    fn from(v: Message) -> Self {
        Arg::Msg(v)
    }
}
macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Self {
                Arg::Number(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_args!(i64, i32, u32, u64, usize, u8);

/// A text to show a user: a key of the Fluent resources and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Message {
    /// Use [`msg!`]: the key test finds the keys the code uses by that macro.
    #[doc(hidden)]
    pub fn new(key: &'static str, args: Vec<(&'static str, Arg)>) -> Self {
        Self { key, args }
    }

    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        text(lang, self.key, &self.args)
    }
}

/// Logs and top-level errors (for developers, not users) read English.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// A [`Message`]: `msg!("err-code-wrong")`, `msg!("err-rate-limited", seconds = retry)`.
#[macro_export]
macro_rules! msg {
    ($key:literal) => {
        $crate::i18n::Message::new($key, ::std::vec::Vec::new())
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::Message::new(
            $key,
            ::std::vec![$((stringify!($name), $crate::i18n::Arg::from($value))),+],
        )
    };
}

/// Both languages' bundles, built once.
pub struct Localizer {
    en: FluentBundle<FluentResource>,
    zh_cn: FluentBundle<FluentResource>,
}

impl Localizer {
    fn new() -> Self {
        Self {
            en: bundle(Lang::En, EN_FTL),
            zh_cn: bundle(Lang::ZhCn, ZH_CN_FTL),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }

    /// `key` in `lang`; a key missing there falls back to English, then to the key itself
    /// (the key test keeps both from happening).
    pub fn text(&self, lang: Lang, key: &str, args: &[(&'static str, Arg)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, arg) in args {
            let value = match arg {
                Arg::Text(text) => FluentValue::from(text.clone()),
                Arg::Number(n) => FluentValue::from(*n),
                Arg::Msg(message) => FluentValue::from(message.render(lang)),
                Arg::List { separator, items } => FluentValue::from(
                    items
                        .iter()
                        .map(|m| m.render(lang))
                        .collect::<Vec<_>>()
                        .join(&separator.render(lang)),
                ),
            };
            fluent_args.set(*name, value);
        }
        for candidate in [lang, Lang::En] {
            let bundle = self.bundle(candidate);
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(
                        key,
                        lang = candidate.tag(),
                        ?errors,
                        "message formatted with errors"
                    );
                }
                return out.into_owned();
            }
        }
        tracing::warn!(key, "message key missing");
        key.to_owned()
    }
}

fn bundle(lang: Lang, source: &'static str) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text for SMS, e-mail and JSON: no Unicode isolation marks around arguments.
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(resource, errors)| {
            tracing::error!(lang = lang.tag(), ?errors, "locale resource has errors");
            resource
        });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.tag(),
            ?errors,
            "locale resource has duplicate keys"
        );
    }
    bundle
}

static LOCALIZER: LazyLock<Localizer> = LazyLock::new(Localizer::new);

/// The bundles of both languages.
pub fn localizer() -> &'static Localizer {
    &LOCALIZER
}

/// `key` with `args` in `lang`.
pub fn text(lang: Lang, key: &str, args: &[(&'static str, Arg)]) -> String {
    localizer().text(lang, key, args)
}

tokio::task_local! {
    /// The language the current request asked for (`Accept-Language`), if it named one.
    static REQUEST_LANG: Option<Lang>;
}

/// Runs `fut` (a request's execution) with its requested language in scope, so notices
/// written on its behalf can be rendered in it (see `service::notices`).
pub async fn with_request_lang<F: Future>(lang: Option<Lang>, fut: F) -> F::Output {
    REQUEST_LANG.scope(lang, fut).await
}

/// The language the request being served asked for; `None` outside a request (scheduled
/// runs) or when it named none.
pub fn request_lang() -> Option<Lang> {
    REQUEST_LANG.try_with(|lang| *lang).ok().flatten()
}

#[cfg(test)]
mod tests;
