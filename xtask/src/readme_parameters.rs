//! `cargo xtask readme-parameters`: writes README's table of every
//! parameter (DWD code, name, unit, statistic, span, CF attributes) from
//! the translation tables; a test of `dwd-translate` fails when it is not
//! current.

use anyhow::Context;

pub fn run() -> anyhow::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("README.md");
    let readme =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let tables = dwd_translate::Tables::embedded()?;
    let new = dwd_translate::what::readme_with_table(&readme, &tables).with_context(|| {
        format!(
            "{} has no `{}` … `{}` markers",
            path.display(),
            dwd_translate::what::README_BEGIN.trim(),
            dwd_translate::what::README_END
        )
    })?;
    if new == readme {
        println!("README.md's parameter table is current");
    } else {
        std::fs::write(&path, new).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote README.md's parameter table");
    }
    Ok(())
}
