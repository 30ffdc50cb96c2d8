//! Messages as the view tree holds them: of a type it does not know (docs/adr/0050).
//!
//! A listener's message comes out of the tree as an [`AnyMessage`], which the program
//! downcasts to its own message type. A constant message (`on_click(Msg::Select(id))`) is held
//! by its listener as a [`ConstMessage`]: in place when it fits two words, as nearly every
//! message does (`smallbox`, as lazy nodes hold their arguments), so making the listener
//! allocates nothing.

use std::any::Any;

use smallbox::SmallBox;
use smallbox::space::S2;

/// A message of a type the tree does not know; the program downcasts it to its own.
pub type AnyMessage = Box<dyn Any>;

/// A listener's constant message, of a type the tree does not know.
pub struct ConstMessage(SmallBox<dyn MessageValue, S2>);

impl ConstMessage {
    /// `msg`, held in place when it fits two words.
    pub fn new<M: Clone + 'static>(msg: M) -> Self {
        ConstMessage(smallbox::smallbox!(msg))
    }

    /// A boxed copy of the message, as a listener produces it.
    pub fn to_any(&self) -> AnyMessage {
        self.0.to_any()
    }

    /// The message, if it is an `M`.
    pub fn downcast_ref<M: 'static>(&self) -> Option<&M> {
        self.0.as_any().downcast_ref()
    }
}

impl Clone for ConstMessage {
    fn clone(&self) -> Self {
        self.0.clone_value()
    }
}

/// What a [`ConstMessage`] does with its value, whatever its type.
trait MessageValue {
    /// A boxed copy of the message.
    fn to_any(&self) -> AnyMessage;
    /// A copy of the message, held as this one is.
    fn clone_value(&self) -> ConstMessage;
    /// The message, for downcasting.
    fn as_any(&self) -> &dyn Any;
}

impl<M: Clone + 'static> MessageValue for M {
    fn to_any(&self) -> AnyMessage {
        Box::new(self.clone())
    }

    fn clone_value(&self) -> ConstMessage {
        ConstMessage::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    /// A page's message of two words: held in place.
    #[derive(Clone, Debug, PartialEq)]
    enum Small {
        Select(usize),
    }

    /// A page's message with a `String`: larger, so boxed.
    #[derive(Clone, Debug, PartialEq)]
    enum Large {
        Named(String),
        Pair(u64, u64),
    }

    fn round_trip<M: Clone + PartialEq + std::fmt::Debug + 'static>(msg: M, in_place: bool) {
        let held = ConstMessage::new(msg.clone());
        assert_eq!(held.0.is_heap(), !in_place, "{msg:?}");
        assert_eq!(held.downcast_ref::<M>(), Some(&msg));
        assert_eq!(*held.to_any().downcast::<M>().expect("its own type"), msg);
        let copy = held.clone();
        drop(held);
        assert_eq!(copy.downcast_ref::<M>(), Some(&msg));
    }

    #[test]
    fn a_message_comes_back_as_it_went_in_in_place_or_boxed() {
        round_trip(Small::Select(7), true);
        round_trip(Large::Named("a name".to_owned()), false);
        round_trip(Large::Pair(1, 2), false);
        round_trip((), true);
    }

    #[test]
    fn another_type_does_not_downcast() {
        let held = ConstMessage::new(3u8);
        assert_eq!(held.downcast_ref::<u8>(), Some(&3));
        assert_eq!(held.downcast_ref::<i8>(), None);
        assert!(held.to_any().downcast::<i8>().is_err());
    }

    #[test]
    fn every_copy_is_dropped_once() {
        // An `Rc` counts the copies alive: in place (one word) and boxed (with padding).
        let counted = Rc::new(());
        {
            let small = ConstMessage::new(Rc::clone(&counted));
            let large = ConstMessage::new((Rc::clone(&counted), [0u64; 3]));
            let copies = [small.clone(), large.clone(), small.clone()];
            let produced = (small.to_any(), large.to_any());
            assert_eq!(Rc::strong_count(&counted), 8);
            drop(copies);
            drop(produced);
            assert_eq!(Rc::strong_count(&counted), 3);
        }
        assert_eq!(Rc::strong_count(&counted), 1);
    }
}
