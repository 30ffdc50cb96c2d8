//! Server rendering of a page inside its mount's shell.
//!
//! The server takes the page's view in the page's own message type (`Mount::with_view`) and
//! renders it into the shell without rebuilding the tree for the shell's message type. These
//! tests hold it to what users see: the same HTML as the mapped tree the browser hydrates,
//! for element pages (rendered in place of a marker) and for text and fragment pages (which
//! the shell's element merges with its own children, so they take the mapping path), with a
//! generated-style `with_view` and with the trait's default.

#![cfg(feature = "server")]

use rally::mount::{Loaded, Mount, PageView, ServerMount};
use rally::routes::QueryParams;
use rally::server::Caller;
use rally::server::ssr::render;
use rally::shell::Chrome;
use rally::view::attribute::class;
use rally::view::event::on_click;
use rally::view::html::{self, button, div, main, nav, p, text};
use rally::view::render::to_html;
use rally::view::testing::{FakeEvent, expected_event};
use rally::view::{Effect, Element};

/// A page's own message type, as codegen keeps it apart from the mount's.
#[derive(Clone, Debug, PartialEq)]
enum PageMsg {
    Clicked,
}

/// The mount's message: one variant wrapping the page's.
#[derive(Clone, Debug, PartialEq)]
enum SiteMsg {
    Page(PageMsg),
}

/// Which shape of view the page returns.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Element,
    Text,
    Fragment,
}

fn parse_shape(path: &str) -> Shape {
    match path {
        "/text" => Shape::Text,
        "/fragment" => Shape::Fragment,
        _ => Shape::Element,
    }
}

fn page_view(shape: &Shape) -> Element<PageMsg> {
    match shape {
        Shape::Element => div(
            [class("page")],
            [
                p([], [text("<escaped> & kept")]),
                button([on_click(PageMsg::Clicked)], [text("go")]),
            ],
        ),
        Shape::Text => text("just text"),
        Shape::Fragment => html::fragment([text("before "), p([], [text("middle")])]),
    }
}

/// The shell every page sits in: text around the content, so a text or fragment page merges
/// with the shell's own text.
fn site_shell<M: Clone + 'static>(chrome: &Chrome<M>, content: Element<M>) -> Element<M> {
    div(
        [class("shell")],
        [
            nav([], [text(chrome.path.clone())]),
            main([], [text("« "), content, text(" »")]),
        ],
    )
}

macro_rules! site_mount {
    ($name:ident) => {
        struct $name;

        impl ServerMount for $name {
            type Context = ();
            fn load_data(_: &(), _: &Caller<'_>, _: &Shape) -> Option<Loaded<SiteMsg>> {
                None
            }
        }
    };
}

// The generated shape: `with_view` hands over the page's own tree and wrapper.
site_mount!(Generated);
// A hand-written mount that only has `view`: the trait's default `with_view`.
site_mount!(Default);

macro_rules! mount_body {
    () => {
        type Route = Shape;
        type Shared = ();
        type Page = Shape;
        type Msg = SiteMsg;
        const NAME: &'static str = "public";
        const PREFIX: &'static str = "";

        fn parse(path: &str) -> Shape {
            parse_shape(path)
        }
        fn path(route: &Shape) -> String {
            format!("/{route:?}").to_lowercase()
        }
        fn is_not_found(_: &Shape) -> bool {
            false
        }
        fn initial_model(_: &(), route: &Shape, _: &QueryParams) -> Shape {
            *route
        }
        fn update(_: &(), _: &mut Shape, _: SiteMsg) -> Effect<SiteMsg> {
            Effect::none()
        }
        fn view(page: &Shape) -> Element<SiteMsg> {
            page_view(page).map(SiteMsg::Page)
        }
        fn shell<M: Clone + 'static>(
            _: &(),
            chrome: &Chrome<M>,
            content: Element<M>,
        ) -> Element<M> {
            site_shell(chrome, content)
        }
        fn load(_: &Shape) -> Option<Effect<SiteMsg>> {
            None
        }
        fn hydrate(_: &Shape, _: &[u8]) -> Option<SiteMsg> {
            None
        }
        fn subscriptions(_: &Shape, _: &Shape) -> Vec<String> {
            Vec::new()
        }
        fn apply_broadcast(_: &mut Shape, _: &[u8]) -> Effect<SiteMsg> {
            Effect::none()
        }
        fn navigation(_: &SiteMsg) -> Option<String> {
            None
        }
    };
}

impl Mount for Generated {
    mount_body!();

    fn with_view<V: PageView<SiteMsg>>(page: &Shape, visitor: V) -> V::Output {
        visitor.page(page_view(page), SiteMsg::Page)
    }
}

impl Mount for Default {
    mount_body!();
}

/// What the browser hydrates: the shell around the page's tree mapped into the mount's
/// messages, rendered as one tree.
fn expected(path: &str) -> String {
    let shape = parse_shape(path);
    let chrome = Chrome {
        path: Generated::path(&shape),
        dark_mode: false,
        on_dark_mode: |_: bool| SiteMsg::Page(PageMsg::Clicked),
    };
    to_html(&site_shell(&chrome, Generated::view(&shape)))
}

#[test]
fn every_page_shape_renders_as_the_mapped_tree_would() {
    for path in ["/element", "/text", "/fragment"] {
        let want = expected(path);
        let generated = render::<Generated>(&(), &Caller::anonymous(), (), path, false);
        assert_eq!(generated.body, want, "{path}, generated with_view");
        let default = render::<Default>(&(), &Caller::anonymous(), (), path, false);
        assert_eq!(default.body, want, "{path}, default with_view");
    }
}

#[test]
fn text_and_fragment_pages_merge_with_the_shells_text() {
    assert!(expected("/text").contains("<main>« just text »</main>"));
    assert!(expected("/fragment").contains("<main>« before <p>middle</p> »</main>"));
    let element = render::<Generated>(&(), &Caller::anonymous(), (), "/element", false);
    assert_eq!(
        element.body,
        "<div class=\"shell\"><nav>/element</nav><main>« <div class=\"page\"><p>&lt;escaped&gt; \
         &amp; kept</p><button>go</button></div> »</main></div>"
    );
}

#[test]
fn with_view_hands_over_the_wrapper_of_the_pages_messages() {
    /// Clicks the page's button and wraps the message it produces.
    struct Click;
    impl PageView<SiteMsg> for Click {
        type Output = Vec<SiteMsg>;
        fn page<P, W>(self, view: Element<P>, wrap: W) -> Self::Output
        where
            P: Clone + 'static,
            W: Fn(P) -> SiteMsg + Copy + 'static,
        {
            let (messages, _, _) = expected_event(&view, &[0, 1], &FakeEvent::new("click"));
            messages.into_iter().map(wrap).collect()
        }
    }
    // The generated arm wraps with the mount's variant; the default gets the mapped view and
    // the identity.
    let clicked = vec![SiteMsg::Page(PageMsg::Clicked)];
    assert_eq!(Generated::with_view(&Shape::Element, Click), clicked);
    assert_eq!(Default::with_view(&Shape::Element, Click), clicked);
}
