//! Event listener builders in the spirit of Lustre's `event` module.
//!
//! Handlers are values where they can be (`on_click(Msg::Inc)`): cheap to build on the server
//! and never re-bound when the view changes. Events with a payload take a decoder.

use std::rc::Rc;

use crate::vdom::{
    AnyAttribute, AnyMessage, Attribute, EventData, EventOptions, Handler, Listener, Modifiers, Str,
};

/// A listener for any event, with a decoder that may ignore the event by returning `None`.
pub fn on<Msg: 'static>(
    event: impl Into<Str>,
    decode: impl Fn(&EventData) -> Option<Msg> + 'static,
) -> Attribute<Msg> {
    let decode = move |e: &EventData| decode(e).map(|m| Box::new(m) as AnyMessage);
    listener(event.into(), Handler::Decode(Rc::new(decode)))
}

/// A listener that always produces `msg`.
pub fn on_event<Msg: Clone + 'static>(event: impl Into<Str>, msg: Msg) -> Attribute<Msg> {
    listener(event.into(), Handler::message(msg))
}

fn listener<Msg>(event: Str, handler: Handler) -> Attribute<Msg> {
    Attribute::from_any(AnyAttribute::Event(Listener {
        event,
        handler,
        options: EventOptions::default(),
    }))
}

macro_rules! message_events {
    ($($fn_name:ident => $event:literal),* $(,)?) => {$(
        #[doc = concat!("Produces `msg` on `", $event, "`.")]
        #[inline]
        pub fn $fn_name<Msg: Clone + 'static>(msg: Msg) -> Attribute<Msg> { listener(Str::Borrowed($event), Handler::message(msg)) }
    )*};
}

message_events! {
    on_click => "click", on_dblclick => "dblclick", on_mouse_down => "mousedown",
    on_mouse_up => "mouseup", on_mouse_enter => "mouseenter", on_mouse_leave => "mouseleave",
    on_mouse_over => "mouseover", on_mouse_out => "mouseout", on_focus => "focus",
    on_blur => "blur", on_pointer_down => "pointerdown", on_pointer_up => "pointerup",
}

/// The text of an input or textarea on every keystroke.
pub fn on_input<Msg: 'static>(f: impl Fn(String) -> Msg + 'static) -> Attribute<Msg> {
    on("input", move |e| e.target_value().map(&f))
}

/// The committed value of an input or select (`change`).
pub fn on_change<Msg: 'static>(f: impl Fn(String) -> Msg + 'static) -> Attribute<Msg> {
    on("change", move |e| e.target_value().map(&f))
}

/// The new state of a checkbox or radio button.
pub fn on_check<Msg: 'static>(f: impl Fn(bool) -> Msg + 'static) -> Attribute<Msg> {
    on("change", move |e| e.target_checked().map(&f))
}

/// A form's submission with its named values; the browser's own submission is prevented.
pub fn on_submit<Msg: 'static>(f: impl Fn(FormValues) -> Msg + 'static) -> Attribute<Msg> {
    on("submit", move |e| Some(f(FormValues(e.form_values())))).prevent_default()
}

/// A key press (`keydown`); return `None` to ignore the key.
pub fn on_keydown<Msg: 'static>(f: impl Fn(KeyEvent) -> Option<Msg> + 'static) -> Attribute<Msg> {
    on("keydown", move |e| f(KeyEvent::from_event(e)?))
}

/// A key release (`keyup`); return `None` to ignore the key.
pub fn on_keyup<Msg: 'static>(f: impl Fn(KeyEvent) -> Option<Msg> + 'static) -> Attribute<Msg> {
    on("keyup", move |e| f(KeyEvent::from_event(e)?))
}

/// The key and modifiers of a keyboard event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    /// `event.key`, such as `"Enter"` or `"a"`.
    pub key: String,
    /// Modifier keys held.
    pub modifiers: Modifiers,
}

impl KeyEvent {
    fn from_event(e: &EventData) -> Option<Self> {
        Some(KeyEvent {
            key: e.key()?,
            modifiers: e.modifiers(),
        })
    }
}

/// A submitted form's values by field name, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormValues(pub Vec<(String, String)>);

impl FormValues {
    /// The first value of the named field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the named field (checkbox groups, multi-selects).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An event for tests: set the fields a decoder reads, leave the rest at their defaults.
#[derive(Clone, Debug, Default)]
pub struct FakeEvent {
    /// The event type (`click`, `input`, …).
    pub kind: &'static str,
    /// The target's `value`.
    pub value: Option<String>,
    /// The target's `checked`.
    pub checked: Option<bool>,
    /// The key of a keyboard event.
    pub key: Option<String>,
    /// Modifier keys held.
    pub modifiers: crate::vdom::Modifiers,
    /// A submitted form's fields.
    pub form: Vec<(String, String)>,
}

impl FakeEvent {
    /// An event of this type with nothing else set.
    pub fn new(kind: &'static str) -> Self {
        FakeEvent {
            kind,
            ..Self::default()
        }
    }
}
