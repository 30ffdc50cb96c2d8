//! SVG element builders: the elements apps draw icons and charts with.

use crate::vdom::{Attribute, Children, Element, Namespace, Str, normalize};

macro_rules! svg_elements {
    ($($name:ident => $tag:literal),* $(,)?) => {$(
        #[doc = concat!("The SVG `<", $tag, ">` element.")]
        #[inline]
        pub fn $name<Msg>(attrs: Vec<Attribute<Msg>>, children: Vec<Element<Msg>>) -> Element<Msg> {
            Element::with_children(Str::Borrowed($tag), Namespace::Svg, attrs, Children::Plain(normalize(children)))
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
