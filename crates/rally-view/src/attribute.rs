//! Attribute and property builders in the spirit of Lustre's `attribute` module.

use crate::html::is_valid_name;
use crate::vdom::{AnyAttribute, AttrValue, Attribute, PropValue, Str};

/// An attribute with any name; an invalid name is dropped rather than printed into markup.
pub fn attribute<Msg>(name: impl Into<Str>, value: impl Into<Str>) -> Attribute<Msg> {
    let name = name.into();
    if !is_valid_name(&name) {
        return Attribute::from_any(AnyAttribute::None);
    }
    Attribute::from_any(AnyAttribute::Attr {
        name,
        value: AttrValue::Str(value.into()),
    })
}

/// A boolean attribute: present when `on`, absent otherwise.
pub fn bool_attribute<Msg>(name: impl Into<Str>, on: bool) -> Attribute<Msg> {
    let name = name.into();
    if !is_valid_name(&name) {
        return Attribute::from_any(AnyAttribute::None);
    }
    Attribute::from_any(AnyAttribute::Attr {
        name,
        value: AttrValue::Bool(on),
    })
}

/// No attribute; handy in `if` expressions.
pub fn none<Msg>() -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::None)
}

#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
fn attr<Msg>(name: &'static str, value: impl Into<Str>) -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::Attr {
        name: Str::Borrowed(name),
        value: AttrValue::Str(value.into()),
    })
}

#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
fn flag<Msg>(name: &'static str, on: bool) -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::Attr {
        name: Str::Borrowed(name),
        value: AttrValue::Bool(on),
    })
}

/// The `value` property: what an input, textarea or select shows. Rendered as the `value`
/// attribute (textarea: its text) on the server, kept in sync with the live DOM in the browser.
pub fn value<Msg>(value: impl Into<Str>) -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::Prop {
        name: "value",
        value: PropValue::Str(value.into()),
    })
}

/// The `checked` property of a checkbox or radio button.
pub fn checked<Msg>(on: bool) -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::Prop {
        name: "checked",
        value: PropValue::Bool(on),
    })
}

/// The `selected` property of an `<option>`.
pub fn selected<Msg>(on: bool) -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::Prop {
        name: "selected",
        value: PropValue::Bool(on),
    })
}

/// Classes from `(name, on)` pairs; only the enabled ones are kept.
pub fn classes<Msg>(names: &[(&str, bool)]) -> Attribute<Msg> {
    // Joined by hand: `[&str]::join` is a kilobyte of generic code in every bundle.
    let mut joined = String::new();
    for (name, _) in names.iter().filter(|(_, on)| *on) {
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(name);
    }
    attr("class", joined)
}

/// One CSS declaration, joined with other `style` attributes on the same element.
pub fn style<Msg>(property: &str, value: &str) -> Attribute<Msg> {
    attr("style", format!("{property}:{value}"))
}

/// A `data-*` attribute.
pub fn data<Msg>(name: &str, value: impl Into<Str>) -> Attribute<Msg> {
    attribute(prefixed("data-", name), value)
}

/// An `aria-*` attribute.
pub fn aria<Msg>(name: &str, value: impl Into<Str>) -> Attribute<Msg> {
    // The common names cost no allocation (an icon's `aria-hidden` is on every table row).
    let known = match name {
        "hidden" => "aria-hidden",
        "label" => "aria-label",
        "labelledby" => "aria-labelledby",
        "describedby" => "aria-describedby",
        "expanded" => "aria-expanded",
        "controls" => "aria-controls",
        "current" => "aria-current",
        "selected" => "aria-selected",
        "checked" => "aria-checked",
        "pressed" => "aria-pressed",
        "disabled" => "aria-disabled",
        "live" => "aria-live",
        "haspopup" => "aria-haspopup",
        "invalid" => "aria-invalid",
        _ => return attribute(prefixed("aria-", name), value),
    };
    attr(known, value)
}

/// `prefix` + `name` in one exactly sized allocation.
fn prefixed(prefix: &str, name: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + name.len());
    s.push_str(prefix);
    s.push_str(name);
    s
}

macro_rules! string_attrs {
    ($($(#[$doc:meta])* $fn_name:ident => $name:literal),* $(,)?) => {$(
        #[doc = concat!("The `", $name, "` attribute.")]
        #[inline]
        pub fn $fn_name<Msg>(value: impl Into<Str>) -> Attribute<Msg> { attr($name, value) }
    )*};
}

macro_rules! bool_attrs {
    ($($fn_name:ident => $name:literal),* $(,)?) => {$(
        #[doc = concat!("The boolean `", $name, "` attribute.")]
        #[inline]
        pub fn $fn_name<Msg>(on: bool) -> Attribute<Msg> { flag($name, on) }
    )*};
}

string_attrs! {
    id => "id", class => "class", title => "title", lang => "lang", dir => "dir", role => "role",
    href => "href", target => "target", rel => "rel", download => "download", src => "src",
    srcset => "srcset", sizes => "sizes", alt => "alt", width => "width", height => "height",
    loading => "loading", type_ => "type", name => "name", placeholder => "placeholder",
    for_ => "for", form => "form", action => "action", method => "method", enctype => "enctype",
    accept => "accept", autocomplete => "autocomplete", inputmode => "inputmode",
    min => "min", max => "max", step => "step", pattern => "pattern", maxlength => "maxlength",
    minlength => "minlength", size => "size", rows => "rows", cols => "cols", wrap => "wrap",
    colspan => "colspan", rowspan => "rowspan", headers => "headers", scope => "scope",
    tabindex => "tabindex", accesskey => "accesskey", charset => "charset", content => "content",
    http_equiv => "http-equiv", media => "media", integrity => "integrity",
    crossorigin => "crossorigin", datetime => "datetime", cite => "cite", label => "label",
    list => "list", enterkeyhint => "enterkeyhint", draggable => "draggable",
    spellcheck => "spellcheck", translate => "translate", popover => "popover",
    // SVG presentation and geometry
    view_box => "viewBox", xmlns => "xmlns", d => "d", fill => "fill", stroke => "stroke",
    stroke_width => "stroke-width", stroke_linecap => "stroke-linecap",
    stroke_linejoin => "stroke-linejoin", fill_rule => "fill-rule", opacity => "opacity",
    transform => "transform", cx => "cx", cy => "cy", r => "r", rx => "rx", ry => "ry",
    x => "x", y => "y", x1 => "x1", y1 => "y1", x2 => "x2", y2 => "y2", points => "points",
    offset => "offset", stop_color => "stop-color", text_anchor => "text-anchor",
    font_size => "font-size", preserve_aspect_ratio => "preserveAspectRatio",
}

bool_attrs! {
    disabled => "disabled", readonly => "readonly", required => "required",
    autofocus => "autofocus", multiple => "multiple", hidden => "hidden", open => "open",
    novalidate => "novalidate", inert => "inert", controls => "controls", autoplay => "autoplay",
    loop_ => "loop", muted => "muted", defer => "defer", async_ => "async",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::div;
    use crate::render::to_html;

    #[test]
    fn classes_keeps_the_enabled_names_in_order() {
        let html = |names: &[(&str, bool)]| to_html(&div::<()>([classes(names)], []));
        assert_eq!(
            html(&[("a", true), ("b", false), ("c", true)]),
            r#"<div class="a c"></div>"#
        );
        assert_eq!(html(&[("only", true)]), r#"<div class="only"></div>"#);
        assert_eq!(html(&[("a", false)]), r#"<div class=""></div>"#);
        assert_eq!(html(&[]), r#"<div class=""></div>"#);
    }
}
