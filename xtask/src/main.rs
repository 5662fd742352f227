//! `cargo xtask` — the project's commands. See the README.

fn main() -> anyhow::Result<()> {
    Ok(())
}
