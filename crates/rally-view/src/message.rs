//! Messages as the view tree holds them: of a type it does not know (docs/adr/0050).
//!
//! A listener's message comes out of the tree as an [`AnyMessage`], which the program
//! downcasts to its own message type. A constant message (`on_click(Msg::Select(id))`) is held
//! by its listener as a [`ConstMessage`]: the value itself when it fits two words, as nearly
//! every message does, so making the listener allocates nothing.
//!
//! Why not `smallbox`, which rally-view uses for lazy nodes: a list's row holds its listeners
//! in the tree and again in the DOM's listener slots, so each render of a changed row clones
//! and drops them. Through a `SmallBox<dyn Trait>` each clone is a virtual call that builds a
//! new box, and each drop a virtual call with a layout lookup, even for a message with nothing
//! to drop; here a clone is one call through a table made once per message type, and dropping
//! a message without drop glue is a branch. Natively that was ~90 instructions per changed row
//! of the js-framework-benchmark app's partial update.

use std::any::{Any, TypeId};
use std::mem::{MaybeUninit, align_of, needs_drop, size_of};

/// A message of a type the tree does not know; the program downcasts it to its own.
pub type AnyMessage = Box<dyn Any>;

/// Where a [`ConstMessage`] keeps its value: the value itself, or a pointer to it boxed.
type Slot = MaybeUninit<[usize; 2]>;

/// A listener's constant message, of a type the tree does not know.
pub struct ConstMessage {
    slot: Slot,
    ops: &'static Ops,
}

/// What a [`ConstMessage`] can do with its value, for one message type and one way of holding
/// it. Every function takes the slot's address.
struct Ops {
    /// The message's type.
    type_id: fn() -> TypeId,
    /// A reference to the message.
    get: unsafe fn(*const Slot) -> *const (),
    /// A boxed copy of the message.
    to_any: unsafe fn(*const Slot) -> AnyMessage,
    /// A copy of the message, held the same way.
    clone: unsafe fn(*const Slot) -> Slot,
    /// Drops the message; `None` when the type has nothing to drop and is held in place.
    drop: Option<unsafe fn(*mut Slot)>,
}

/// The [`Ops`] of messages of type `M`.
struct OpsOf<M>(M);

impl<M: Clone + 'static> OpsOf<M> {
    /// Whether an `M` fits the slot, in size and alignment.
    const IN_PLACE: bool =
        size_of::<M>() <= size_of::<Slot>() && align_of::<M>() <= align_of::<Slot>();

    const IN_PLACE_OPS: Ops = Ops {
        type_id: TypeId::of::<M>,
        get: Self::get_in_place,
        to_any: Self::to_any_in_place,
        clone: Self::clone_in_place,
        drop: if needs_drop::<M>() {
            Some(Self::drop_in_place)
        } else {
            None
        },
    };

    const BOXED_OPS: Ops = Ops {
        type_id: TypeId::of::<M>,
        get: Self::get_boxed,
        to_any: Self::to_any_boxed,
        clone: Self::clone_boxed,
        drop: Some(Self::drop_boxed),
    };

    /// `msg` in a slot, with the operations that read it.
    fn hold(msg: M) -> ConstMessage {
        let mut slot = Slot::uninit();
        if Self::IN_PLACE {
            // SAFETY: `IN_PLACE` says an `M` fits the slot, in size and alignment.
            unsafe { slot.as_mut_ptr().cast::<M>().write(msg) };
            ConstMessage {
                slot,
                ops: &Self::IN_PLACE_OPS,
            }
        } else {
            // SAFETY: a pointer fits the slot, whose alignment is a pointer's.
            unsafe {
                slot.as_mut_ptr()
                    .cast::<*mut M>()
                    .write(Box::into_raw(Box::new(msg)))
            };
            ConstMessage {
                slot,
                ops: &Self::BOXED_OPS,
            }
        }
    }

    // The functions below are only ever called by `ConstMessage` with the slot of a message
    // that `hold` (or their own `clone`) filled for this `M` and this way of holding it, and
    // that was not dropped yet: that is their safety contract.

    unsafe fn get_in_place(slot: *const Slot) -> *const () {
        slot.cast()
    }

    unsafe fn to_any_in_place(slot: *const Slot) -> AnyMessage {
        // SAFETY: the slot holds an `M` in place (see above).
        Box::new(unsafe { &*slot.cast::<M>() }.clone())
    }

    unsafe fn clone_in_place(slot: *const Slot) -> Slot {
        let mut copy = Slot::uninit();
        // SAFETY: the slot holds an `M` in place, and one fits `copy` as it fits the slot.
        unsafe {
            copy.as_mut_ptr()
                .cast::<M>()
                .write((*slot.cast::<M>()).clone())
        };
        copy
    }

    unsafe fn drop_in_place(slot: *mut Slot) {
        // SAFETY: the slot holds an `M` in place, dropped only here, once.
        unsafe { slot.cast::<M>().drop_in_place() }
    }

    unsafe fn get_boxed(slot: *const Slot) -> *const () {
        // SAFETY: the slot holds a pointer to a boxed `M`.
        unsafe { *slot.cast::<*const M>() }.cast()
    }

    unsafe fn to_any_boxed(slot: *const Slot) -> AnyMessage {
        // SAFETY: the slot holds a pointer to a live boxed `M`.
        Box::new(unsafe { &**slot.cast::<*const M>() }.clone())
    }

    unsafe fn clone_boxed(slot: *const Slot) -> Slot {
        // SAFETY: the slot holds a pointer to a live boxed `M`.
        let copy = Box::new(unsafe { &**slot.cast::<*const M>() }.clone());
        let mut out = Slot::uninit();
        // SAFETY: a pointer fits the slot.
        unsafe { out.as_mut_ptr().cast::<*mut M>().write(Box::into_raw(copy)) };
        out
    }

    unsafe fn drop_boxed(slot: *mut Slot) {
        // SAFETY: the slot holds the pointer `Box::into_raw` gave for this `M`, freed only
        // here, once.
        drop(unsafe { Box::from_raw(*slot.cast::<*mut M>()) });
    }
}

impl ConstMessage {
    /// `msg`, held in place when it fits two words.
    pub fn new<M: Clone + 'static>(msg: M) -> Self {
        OpsOf::hold(msg)
    }

    /// A boxed copy of the message, as a listener produces it.
    pub fn to_any(&self) -> AnyMessage {
        // SAFETY: `ops` are the operations of the message in `slot` (`OpsOf::hold`).
        unsafe { (self.ops.to_any)(&self.slot) }
    }

    /// The message, if it is an `M`.
    pub fn downcast_ref<M: 'static>(&self) -> Option<&M> {
        if (self.ops.type_id)() != TypeId::of::<M>() {
            return None;
        }
        // SAFETY: the message is an `M` (its type id says so), alive as long as `self`.
        Some(unsafe { &*(self.ops.get)(&self.slot).cast::<M>() })
    }
}

impl Clone for ConstMessage {
    fn clone(&self) -> Self {
        ConstMessage {
            // SAFETY: as in `to_any`; the copy is held the same way, so the same `ops` apply.
            slot: unsafe { (self.ops.clone)(&self.slot) },
            ops: self.ops,
        }
    }
}

impl Drop for ConstMessage {
    fn drop(&mut self) {
        if let Some(drop) = self.ops.drop {
            // SAFETY: as in `to_any`; this is the message's only drop.
            unsafe { drop(&mut self.slot) }
        }
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

    const _: () = assert!(OpsOf::<Small>::IN_PLACE && !OpsOf::<Large>::IN_PLACE);

    fn round_trip<M: Clone + PartialEq + std::fmt::Debug + 'static>(msg: M) {
        let held = ConstMessage::new(msg.clone());
        assert_eq!(held.downcast_ref::<M>(), Some(&msg));
        assert_eq!(*held.to_any().downcast::<M>().expect("its own type"), msg);
        let copy = held.clone();
        drop(held);
        assert_eq!(copy.downcast_ref::<M>(), Some(&msg));
    }

    #[test]
    fn a_message_comes_back_as_it_went_in_in_place_or_boxed() {
        round_trip(Small::Select(7));
        round_trip(Large::Named("a name".to_owned()));
        round_trip(Large::Pair(1, 2));
        round_trip(());
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
