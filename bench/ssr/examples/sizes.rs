fn main() {
    use jsfb_rally::Msg;
    use rally_view::*;
    println!("Str {}", std::mem::size_of::<Str>());
    println!("Attribute {}", std::mem::size_of::<Attribute<Msg>>());
    println!("Attr {}", std::mem::size_of::<Attr>());
    println!("Listener {}", std::mem::size_of::<Listener>());
    println!("Node {}", std::mem::size_of::<Node>());
    println!("Children {}", std::mem::size_of::<Children>());
    println!("Element {}", std::mem::size_of::<Element<Msg>>());
    println!("Msg {}", std::mem::size_of::<Msg>());
}
