//! Templates and theme files: built into the binary, each overridable by a
//! file of the same name beside `book.toml` (`templates/`, `themes/<name>/`).

use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ThemeError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("theme \"{0}\" not found: no folder themes/{0}/ beside book.toml and no built-in theme of that name")]
    UnknownTheme(String),
}

pub const TEMPLATE_NAMES: [&str; 4] = ["base.html", "note.html", "list.html", "404.html"];

const BUILTIN_TEMPLATES: [(&str, &str); 4] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("note.html", include_str!("../../templates/note.html")),
    ("list.html", include_str!("../../templates/list.html")),
    ("404.html", include_str!("../../templates/404.html")),
];

const BUILTIN_DEFAULT_THEME: [(&str, &[u8]); 2] = [
    (
        "spore.css",
        include_bytes!("../../themes/default/spore.css"),
    ),
    ("spore.js", include_bytes!("../../themes/default/spore.js")),
];

/// Written only when some page draws a Mermaid diagram.
pub const MERMAID_FILES: [&[u8]; 2] = [
    include_bytes!("../../themes/vendor/mermaid.min.js"),
    include_bytes!("../../themes/vendor/mermaid-init.js"),
];

/// [`MERMAID_FILES`] as shared bytes, made once a process: `serve` puts
/// them in the site on every save, and 3.5 MB copied (and sealed) anew
/// each time would cost more than the rest of a save.
pub fn mermaid_files() -> [crate::site::Bytes; 2] {
    static BYTES: std::sync::OnceLock<[crate::site::Bytes; 2]> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| MERMAID_FILES.map(crate::site::Bytes::from))
        .clone()
}

/// The parsed templates and the theme's static files (name → bytes),
/// shared: every rebuild of `serve` hands the seal the same bytes, which
/// it then knows by address instead of hashing them again.
pub struct Theme {
    pub templates: tera::Tera,
    pub assets: BTreeMap<String, crate::site::Bytes>,
}

/// Template sources and theme files, before parsing: read from the binary
/// and from the project folder. `serve` re-reads these on change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThemeSources {
    pub templates: BTreeMap<String, String>,
    pub assets: BTreeMap<String, Vec<u8>>,
}

impl ThemeSources {
    pub fn read(project_root: &Path, theme: &str) -> Result<ThemeSources, ThemeError> {
        let mut sources = ThemeSources::default();
        for (name, text) in BUILTIN_TEMPLATES {
            sources.templates.insert(name.to_string(), text.to_string());
        }
        let theme_dir = project_root.join("themes").join(theme);
        if theme == "default" {
            for (name, bytes) in BUILTIN_DEFAULT_THEME {
                sources.assets.insert(name.to_string(), bytes.to_vec());
            }
        } else if !theme_dir.is_dir() {
            return Err(ThemeError::UnknownTheme(theme.to_string()));
        }
        // Through the vault's reader, with the templates and the theme
        // folder as roots (either may itself be a link, say to a shared
        // theme): a file in them that links out of its folder, or is a
        // FIFO, is refused with a clear error, never read.
        let template_dir = project_root.join("templates");
        for name in TEMPLATE_NAMES {
            if let Some(bytes) = read_theme_file(&template_dir, name)? {
                let text = String::from_utf8(bytes).map_err(|_| ThemeError::Read {
                    path: template_dir.join(name).display().to_string(),
                    message: "not valid UTF-8".to_string(),
                })?;
                sources.templates.insert(name.to_string(), text);
            }
        }
        if theme_dir.is_dir() {
            let entries = std::fs::read_dir(&theme_dir).map_err(|e| ThemeError::Read {
                path: theme_dir.display().to_string(),
                message: e.to_string(),
            })?;
            for entry in entries.flatten() {
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir || name.starts_with('.') {
                    continue;
                }
                if let Some(bytes) = read_theme_file(&theme_dir, &name)? {
                    sources.assets.insert(name, bytes);
                }
            }
        }
        Ok(sources)
    }

    pub fn compile(&self) -> Result<Theme, ThemeError> {
        let mut templates = tera::Tera::new();
        templates.autoescape_on([".html", ".xml"]);
        templates
            .add_raw_templates(self.templates.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| ThemeError::Template {
                name: "templates".into(),
                message: error_chain(&e),
            })?;
        Ok(Theme {
            templates,
            assets: self
                .assets
                .iter()
                .map(|(name, bytes)| (name.clone(), bytes.as_slice().into()))
                .collect(),
        })
    }
}

/// A theme file or template larger than this is refused (bounded memory).
const MAX_THEME_FILE: u64 = 64 << 20;

/// `dir/name` read under the vault's rules; `None` when there is none.
fn read_theme_file(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, ThemeError> {
    match crate::load::read_vault_file(dir, Path::new(name), MAX_THEME_FILE) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(crate::load::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(crate::load::ReadError::Folder) => Ok(None),
        Err(e) => Err(ThemeError::Read {
            path: dir.join(name).display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// Tera's errors keep the useful part in their sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
