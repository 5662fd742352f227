//! `myna-bridge-launcher.exe` — starts `myna-bridge.exe` in the background on Windows.
//!
//! `myna-bridge.exe` is a console program, so that `myna-bridge --help` and a clinic IT
//! person's command-line checks print where they are typed. Started at logon from the
//! `HKCU\…\Run` entry, a console program would open a console window on the receptionist's
//! screen, and closing that window would stop the bridge. This launcher is a GUI-subsystem
//! program (no console of its own) that starts `myna-bridge.exe` from its own directory with
//! `CREATE_NO_WINDOW`, passes its arguments through, writes the bridge's output to
//! `%LOCALAPPDATA%\myna-web\myna-bridge\data\bridge.log` (the only place a background program's
//! messages can be read; the previous log is kept as `bridge.log.1` once it passes 1 MiB), waits,
//! and exits with the bridge's exit code. The MSI runs its custom actions through it for the
//! same reason (no console window flashing up during an install).
//!
//! It does nothing else: no arguments of its own, no network, no PC/SC. On other systems it
//! says so and exits with 2 (Linux and macOS start `myna-bridge` from a systemd user unit or a
//! LaunchAgent, which have no console to hide).
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    #[cfg(windows)]
    {
        windows::main()
    }
    #[cfg(not(windows))]
    {
        eprintln!(
            "myna-bridge-launcher starts myna-bridge without a console window on Windows; \
             elsewhere run myna-bridge itself"
        );
        ExitCode::from(2)
    }
}

#[cfg(windows)]
mod windows {
    use std::fs::{self, File, OpenOptions};
    use std::os::windows::process::CommandExt;
    use std::path::PathBuf;
    use std::process::{Command, ExitCode, Stdio};

    /// `CREATE_NO_WINDOW` (winbase.h): the console program gets a console that is never shown.
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    /// Past this size the log starts over (the previous one kept as `bridge.log.1`).
    const LOG_LIMIT: u64 = 1024 * 1024;

    /// `%LOCALAPPDATA%\myna-web\myna-bridge\data\bridge.log` — the directory the `directories`
    /// crate gives the bridge as its local data directory on Windows.
    fn log_file() -> Option<File> {
        let dir = PathBuf::from(std::env::var_os("LOCALAPPDATA")?)
            .join("myna-web")
            .join("myna-bridge")
            .join("data");
        fs::create_dir_all(&dir).ok()?;
        let path = dir.join("bridge.log");
        if fs::metadata(&path).is_ok_and(|m| m.len() > LOG_LIMIT) {
            let _ = fs::rename(&path, dir.join("bridge.log.1"));
        }
        OpenOptions::new().create(true).append(true).open(path).ok()
    }

    pub fn main() -> ExitCode {
        let Some(bridge) = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join("myna-bridge.exe")))
        else {
            return ExitCode::from(3);
        };
        let mut command = Command::new(bridge);
        command
            .args(std::env::args_os().skip(1))
            .stdin(Stdio::null())
            .creation_flags(CREATE_NO_WINDOW);
        match log_file().and_then(|f| Some((f.try_clone().ok()?, f))) {
            Some((out, err)) => {
                command.stdout(out).stderr(err);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        match command.status() {
            Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8)),
            Err(_) => ExitCode::from(4),
        }
    }
}
