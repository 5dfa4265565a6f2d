//! Bounded excerpts of outside text. Error messages and persisted failure details quote what
//! came from outside (a request body, a token, a service's reason) only up to a short length, so
//! a 50 MB field cannot become a 50 MB log line or record.

/// The most bytes of outside text an error message or failure detail quotes.
pub const MAX_EXCERPT: usize = 200;

/// `text` itself if short, else its first [`MAX_EXCERPT`] bytes (cut at a character boundary)
/// and how long the whole was.
pub fn excerpt(text: &str) -> String {
    if text.len() <= MAX_EXCERPT {
        return text.to_string();
    }
    let mut end = MAX_EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}
