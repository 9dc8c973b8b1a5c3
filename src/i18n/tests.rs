#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

use super::*;
use crate::domain::Site;

/// Each message of a resource and the variables (`$name`) it uses.
fn variables(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(source)
        .unwrap_or_else(|(_, errors)| panic!("resource does not parse: {errors:?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        match entry {
            ast::Entry::Message(message) => {
                let mut vars = BTreeSet::new();
                let pattern = message.value.as_ref().expect("a message has a value");
                pattern_vars(pattern, &mut vars);
                let id = message.id.name.to_owned();
                assert!(
                    out.insert(id.clone(), vars).is_none(),
                    "{id} is defined twice"
                );
            }
            ast::Entry::Junk { content } => panic!("junk in a resource: {content}"),
            _ => {}
        }
    }
    out
}

fn pattern_vars(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_vars(expression, out);
        }
    }
}

fn expression_vars(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => inline_vars(inline, out),
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            for variant in variants {
                pattern_vars(&variant.value, out);
            }
        }
    }
}

fn inline_vars(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for arg in &arguments.positional {
                inline_vars(arg, out);
            }
            for arg in &arguments.named {
                inline_vars(&arg.value, out);
            }
        }
        _ => {}
    }
}

/// Every `msg!` call in the crate's sources: the file, the key and its argument names.
fn keys_in_code() -> Vec<(String, String, BTreeSet<String>)> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let mut rest = source.as_str();
        // Spelled apart so that this scanner does not find itself.
        const OPEN: &str = concat!("msg", "!(");
        while let Some(at) = rest.find(OPEN) {
            let call = &rest[at + OPEN.len()..];
            let end = call_end(call);
            // Nested calls (a list's separator) are scanned too.
            rest = call;
            let body = call[..end].trim_start();
            let Some(quoted) = body.strip_prefix('"') else {
                continue;
            };
            let key_end = quoted.find('"').unwrap();
            let key = quoted[..key_end].to_owned();
            let args = top_level_arg_names(&quoted[key_end + 1..]);
            out.push((file.display().to_string(), key, args));
        }
    }
    out
}

/// The length of a macro's arguments up to (not including) its closing parenthesis.
fn call_end(call: &str) -> usize {
    let (mut depth, mut in_str, mut escaped) = (0_i32, false, false);
    for (i, c) in call.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return i,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    panic!("unclosed msg!: {call}");
}

/// `, a = x, b = f(y, z)` → {a, b}.
fn top_level_arg_names(args: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let (mut depth, mut in_str, mut start) = (0_i32, false, 0);
    let mut parts = Vec::new();
    for (i, c) in args.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '(' | '[' | '{' if !in_str => depth += 1,
            ')' | ']' | '}' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&args[start..]);
    for part in parts {
        if let Some((name, _)) = part.split_once('=') {
            let name = name.trim();
            if !name.is_empty() {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

#[test]
fn both_languages_have_the_same_keys_and_placeholders() {
    let en = variables(EN_FTL);
    let zh = variables(ZH_CN_FTL);
    let en_keys: BTreeSet<_> = en.keys().collect();
    let zh_keys: BTreeSet<_> = zh.keys().collect();
    assert_eq!(
        en_keys.symmetric_difference(&zh_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "keys in one language only"
    );
    for (key, vars) in &en {
        assert_eq!(
            vars, &zh[key],
            "placeholders of {key} differ between en and zh-CN"
        );
    }
}

#[test]
fn every_key_the_code_uses_exists_in_both_languages_with_its_arguments() {
    let en = variables(EN_FTL);
    let zh = variables(ZH_CN_FTL);
    let used = keys_in_code();
    assert!(used.len() > 200, "the scan found only {} uses", used.len());
    for (file, key, args) in &used {
        let vars = en
            .get(key)
            .unwrap_or_else(|| panic!("{file}: {key} is not in locales/en/main.ftl"));
        assert!(
            zh.contains_key(key),
            "{file}: {key} is not in locales/zh-CN/main.ftl"
        );
        assert_eq!(
            args, vars,
            "{file}: {key} is given other arguments than it uses"
        );
    }
    // And no key is left over that nothing uses.
    let used_keys: BTreeSet<&str> = used.iter().map(|(_, k, _)| k.as_str()).collect();
    let unused: Vec<&String> = en
        .keys()
        .filter(|k| !used_keys.contains(k.as_str()))
        .collect();
    assert!(unused.is_empty(), "keys no code uses: {unused:?}");
}

#[test]
fn bundles_load_without_errors() {
    for (lang, source) in [(Lang::En, EN_FTL), (Lang::ZhCn, ZH_CN_FTL)] {
        let resource = FluentResource::try_new(source.to_owned());
        assert!(
            resource.is_ok(),
            "{}: {:?}",
            lang.tag(),
            resource.err().map(|e| e.1)
        );
        let mut bundle = FluentBundle::new_concurrent(vec![lang.tag().parse().unwrap()]);
        assert!(
            bundle.add_resource(resource.unwrap()).is_ok(),
            "{}",
            lang.tag()
        );
    }
}

#[test]
fn renders_in_either_language_without_isolation_marks() {
    assert_eq!(msg!("err-code-wrong").render(Lang::ZhCn), "验证码错误");
    assert_eq!(msg!("err-code-wrong").render(Lang::En), "the code is wrong");
    assert_eq!(
        msg!("err-rate-limited", seconds = 42_i64).render(Lang::En),
        "too many requests; retry in 42 s"
    );
    assert_eq!(
        msg!("err-rate-limited", seconds = 42_i64).render(Lang::ZhCn),
        "请求过于频繁，请在 42 秒后重试"
    );
    let off = msg!(
        "notice-body-protection-turned-off",
        protections = Arg::list(
            msg!("list-and"),
            vec![msg!("protection-login"), msg!("protection-operation")]
        )
    );
    assert_eq!(
        off.render(Lang::En),
        "login protection and operation protection was turned off. If this was not you, turn it back on and change your password."
    );
    assert!(
        off.render(Lang::ZhCn)
            .starts_with("登录保护和操作保护已关闭")
    );
    let bound = msg!("notice-title-mfa-device-changed", what = "bound");
    assert_eq!(bound.render(Lang::En), "An MFA device was bound");
    assert_eq!(bound.render(Lang::ZhCn), "已绑定 MFA 设备");
    // Display is English, for logs and developer-facing errors.
    assert_eq!(msg!("err-code-wrong").to_string(), "the code is wrong");
}

#[test]
fn accept_language_picks_the_heaviest_chinese_or_english_range() {
    let cases = [
        ("zh-CN", Some(Lang::ZhCn)),
        ("zh", Some(Lang::ZhCn)),
        ("zh-Hans-CN,zh;q=0.9", Some(Lang::ZhCn)),
        ("en-US,en;q=0.9", Some(Lang::En)),
        ("fr-FR, en;q=0.5, zh;q=0.8", Some(Lang::ZhCn)),
        ("fr-FR, zh;q=0.5, en;q=0.8", Some(Lang::En)),
        ("en;q=0, zh;q=0.1", Some(Lang::ZhCn)),
        ("EN", Some(Lang::En)),
        ("fr, de", None),
        ("", None),
        ("*", None),
    ];
    for (header, expected) in cases {
        assert_eq!(Lang::from_accept_language(header), expected, "{header:?}");
    }
}

#[test]
fn the_request_wins_then_the_site_then_english() {
    assert_eq!(Lang::resolve(Some(Lang::En), Some(Site::China)), Lang::En);
    assert_eq!(Lang::resolve(None, Some(Site::China)), Lang::ZhCn);
    assert_eq!(Lang::resolve(None, Some(Site::International)), Lang::En);
    assert_eq!(Lang::resolve(Some(Lang::ZhCn), None), Lang::ZhCn);
    assert_eq!(Lang::resolve(None, None), Lang::En);
}
