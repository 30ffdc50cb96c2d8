//! SVG element builders: the elements apps draw icons and charts with.

use crate::html::known;
use crate::vdom::{Attribute, Children, Element, Namespace, collect_attrs};

macro_rules! svg_elements {
    ($($name:ident => $tag:literal),* $(,)?) => {$(
        #[doc = concat!("The SVG `<", $tag, ">` element.")]
        #[cfg_attr(target_arch = "wasm32", inline(never))]
        #[cfg_attr(not(target_arch = "wasm32"), inline)]
        pub fn $name<Msg>(
            attrs: impl IntoIterator<Item = Attribute<Msg>>,
            children: impl IntoIterator<Item = Element<Msg>>,
        ) -> Element<Msg> {
            known($tag, Namespace::Svg, collect_attrs(attrs), Children::from_elements(children))
        }
    )*};
}

svg_elements! {
    svg => "svg", g => "g", defs => "defs", symbol => "symbol", use_ => "use", title => "title",
    desc => "desc", path => "path", circle => "circle", ellipse => "ellipse", line => "line",
    polygon => "polygon", polyline => "polyline", rect => "rect", text => "text", tspan => "tspan",
    text_path => "textPath", image => "image", clip_path => "clipPath", mask => "mask",
    pattern => "pattern", marker => "marker", linear_gradient => "linearGradient",
    radial_gradient => "radialGradient", stop => "stop", filter => "filter",
    foreign_object => "foreignObject", animate => "animate", animate_transform => "animateTransform",
}
