//! Error messages written without `core::fmt` where a browser bundle shows them (ADR 0065).
//!
//! An error's `Display` formats through `core::fmt`, and numbers through its integer
//! formatting: a few kilobytes of every bundle that reports one. Release bundles no longer
//! link `core::fmt` for panics (rally-build's `panic_snip`), so the errors the browser
//! reports (a page that cannot start) write their message through [`MessageOut`] instead:
//! into a `String` in the browser, into a `Formatter` for their `Display`, from one
//! description of the message.

use std::fmt;

/// Where a message's text and numbers go.
pub trait MessageOut {
    /// Appends text.
    fn text(&mut self, text: &str);
    /// Appends a number's decimal digits.
    fn number(&mut self, n: usize);
}

/// An error whose message is written piece by piece, so that both its `Display` and a
/// `core::fmt`-free `String` ([`Message::message`]) come from one place.
pub trait Message {
    /// Writes the message.
    fn write_message(&self, out: &mut dyn MessageOut);

    /// The message as a `String`, without `core::fmt`.
    fn message(&self) -> String {
        let mut out = String::new();
        self.write_message(&mut out);
        out
    }
}

impl MessageOut for String {
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }

    fn number(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.extend(digits[at..].iter().map(|&d| char::from(d)));
    }
}

/// A [`MessageOut`] over a `Formatter`, for `Display` impls; keeps the first error.
pub struct FormatterOut<'a, 'b> {
    formatter: &'a mut fmt::Formatter<'b>,
    result: fmt::Result,
}

impl<'a, 'b> FormatterOut<'a, 'b> {
    /// Writes `message` to `formatter`.
    pub fn write(formatter: &'a mut fmt::Formatter<'b>, message: &dyn Message) -> fmt::Result {
        let mut out = FormatterOut {
            formatter,
            result: Ok(()),
        };
        message.write_message(&mut out);
        out.result
    }
}

impl MessageOut for FormatterOut<'_, '_> {
    fn text(&mut self, text: &str) {
        if self.result.is_ok() {
            self.result = self.formatter.write_str(text);
        }
    }

    fn number(&mut self, n: usize) {
        // Digits alone: the formatter's width or sign flags are for the whole message.
        let mut digits = String::new();
        digits.number(n);
        self.text(&digits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sample(usize);

    impl Message for Sample {
        fn write_message(&self, out: &mut dyn MessageOut) {
            out.text("frame of ");
            out.number(self.0);
            out.text(" bytes");
        }
    }

    impl fmt::Display for Sample {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            FormatterOut::write(f, self)
        }
    }

    #[test]
    fn flags_apply_to_the_whole_message_not_to_its_numbers() {
        assert_eq!(format!("{:>20}", Sample(7)), "frame of 7 bytes");
        assert_eq!(format!("{:+}", Sample(7)), "frame of 7 bytes");
    }

    #[test]
    fn a_string_gets_the_same_message_as_display() {
        for n in [0, 7, 10, 99, 100, 65_535, usize::MAX] {
            let sample = Sample(n);
            assert_eq!(sample.message(), sample.to_string());
            assert_eq!(sample.message(), format!("frame of {n} bytes"));
        }
    }
}
