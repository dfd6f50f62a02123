//! The presets of `arch/*.toml`, embedded so that the binaries need no
//! files next to them.

/// Lists each preset once; its file is `arch/<name>.toml`.
macro_rules! presets {
    ($($name:literal),* $(,)?) => {
        const NAMES: &[&str] = &[$($name),*];
        const TEXTS: &[&str] = &[$(include_str!(concat!("../../arch/", $name, ".toml"))),*];
    };
}

presets!(
    "default",
    "xbar32-bus4",
    "xbar32-bus8",
    "xbar32-bus16",
    "xbar32-bus32",
    "xbar32-bus64",
    "xbar64-bus4",
    "xbar64-bus8",
    "xbar64-bus16",
    "xbar64-bus32",
    "xbar64-bus64",
    "xbar128-bus4",
    "xbar128-bus8",
    "xbar128-bus16",
    "xbar128-bus32",
    "xbar128-bus64",
    "wholenet",
);

/// Names accepted by `Architecture::preset`, the default first.
pub fn preset_names() -> &'static [&'static str] {
    NAMES
}

pub(super) fn text(name: &str) -> Option<&'static str> {
    NAMES.iter().position(|&known| known == name).map(|index| TEXTS[index])
}
