//! How an embedded attachment shows: image, audio, video, PDF or a download.

use super::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Pdf,
    Other,
}

pub fn kind_of(path: &str) -> MediaKind {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "bmp" | "ico" => {
            MediaKind::Image
        }
        "mp3" | "wav" | "ogg" | "m4a" | "flac" | "opus" | "aac" | "3gp" => MediaKind::Audio,
        "mp4" | "webm" | "ogv" | "mov" | "mkv" | "m4v" => MediaKind::Video,
        "pdf" => MediaKind::Pdf,
        _ => MediaKind::Other,
    }
}

/// `300` or `300x200` after the `|` of an embed.
pub fn parse_size(text: &str) -> Option<(u32, Option<u32>)> {
    let text = text.trim();
    let (w, h) = match text.split_once('x') {
        Some((w, h)) => (w.trim(), Some(h.trim())),
        None => (text, None),
    };
    let w: u32 = w.parse().ok()?;
    let h = match h {
        Some(h) => Some(h.parse().ok()?),
        None => None,
    };
    Some((w, h))
}

/// HTML for an embedded attachment at `src` (already a relative URL).
pub fn embed_html(src: &str, file_name: &str, alt: &str) -> String {
    let src = escape::attr(src);
    let (size, alt) = match alt.rsplit_once('|') {
        Some((a, s)) if parse_size(s).is_some() => (parse_size(s), a),
        _ => (parse_size(alt), alt),
    };
    let alt_text = if size.is_some() && parse_size(alt).is_some() {
        String::new()
    } else {
        alt.to_string()
    };
    let name = escape::html(file_name);
    match kind_of(file_name) {
        MediaKind::Image => {
            let mut attrs = String::new();
            if let Some((w, h)) = size {
                attrs.push_str(&format!(" width=\"{w}\""));
                if let Some(h) = h {
                    attrs.push_str(&format!(" height=\"{h}\""));
                }
            }
            let alt = escape::attr(if alt_text.is_empty() { file_name } else { &alt_text });
            format!("<img src=\"{src}\" alt=\"{alt}\"{attrs} loading=\"lazy\">")
        }
        MediaKind::Audio => format!("<audio controls preload=\"metadata\" src=\"{src}\"><a class=\"attachment\" href=\"{src}\">{name}</a></audio>"),
        MediaKind::Video => format!("<video controls preload=\"metadata\" src=\"{src}\"><a class=\"attachment\" href=\"{src}\">{name}</a></video>"),
        MediaKind::Pdf => format!(
            "<iframe class=\"pdf-embed\" src=\"{src}\" title=\"{name}\"></iframe><a class=\"attachment\" href=\"{src}\">{name}</a>"
        ),
        MediaKind::Other => format!("<a class=\"attachment\" href=\"{src}\" download>{name}</a>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_kinds() {
        assert_eq!(parse_size("300"), Some((300, None)));
        assert_eq!(parse_size("300x200"), Some((300, Some(200))));
        assert_eq!(parse_size("caption"), None);
        assert!(embed_html("a.png", "a.png", "300").contains("width=\"300\""));
        assert!(embed_html("a.png", "a.png", "alt|300x20").contains("height=\"20\""));
        assert!(embed_html("a.mp3", "a.mp3", "").starts_with("<audio"));
        assert!(embed_html("a.mp4", "a.mp4", "").starts_with("<video"));
        assert!(embed_html("a.pdf", "a.pdf", "").starts_with("<iframe"));
        assert!(embed_html("a.zip", "a.zip", "").contains("download"));
    }
}
