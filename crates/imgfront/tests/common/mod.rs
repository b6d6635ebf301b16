//! Runs the real `imgfront` binary as a user would, returning success and all its output.

use std::process::Command;

pub fn imgfront(envs: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_imgfront"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run imgfront");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
