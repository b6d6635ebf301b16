//! Whole-process figures: peak RSS and wall time of one command (from `wait4`), and cold start
//! as the time from exec to the first `GET …/runtime/invocation/next` on a local runtime API.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One finished run of a command.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub wall_ms: f64,
    pub peak_rss_kb: u64,
}

/// Runs `program args…` to completion through a fresh copy of this harness (`__measure`), and
/// returns its wall time and peak RSS. The detour matters: a child's peak RSS includes the
/// memory of whatever it was forked from, and the harness itself holds hundreds of MB of
/// outputs and references by then; the fresh copy holds a few.
pub fn measure(program: &Path, args: &[&OsStr]) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg(MEASURE)
        .arg(program)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(str::parse::<f64>);
    match (parts.next(), parts.next()) {
        (Some(Ok(wall_ms)), Some(Ok(kb))) => Ok(Run {
            wall_ms,
            peak_rss_kb: kb as u64,
        }),
        _ => Err(format!(
            "measuring {}: unexpected {text:?}",
            program.display()
        )),
    }
}

/// The argument that turns the harness into the measuring helper.
pub const MEASURE: &str = "__measure";

/// The helper's side: spawns `args[0] args[1..]`, waits with `wait4` and prints
/// `wall_ms peak_rss_kb`. Exits non-zero if the command failed.
pub fn measure_main(args: &[OsString]) -> i32 {
    let Some((program, rest)) = args.split_first() else {
        eprintln!("{MEASURE} PROGRAM [ARGS…]");
        return 2;
    };
    let start = Instant::now();
    let child = match Command::new(program)
        .args(rest)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {e}", program.to_string_lossy());
            return 1;
        }
    };
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        return 1;
    };
    let mut status = 0;
    // SAFETY: rusage is plain C data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unwaited child; the pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        eprintln!("{} exited with status {status}", program.to_string_lossy());
        return 1;
    }
    println!("{wall_ms:.3} {}", usage.ru_maxrss);
    0
}

/// Starts `cmd` with `AWS_LAMBDA_RUNTIME_API` pointing at a one-shot local runtime API and
/// returns the milliseconds until its first poll for an invocation. The process is killed then.
pub fn cold_start(cmd: &mut Command) -> Result<f64, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Any request before `next` (there should be none) is answered and ignored.
        for stream in listener.incoming().flatten() {
            let at = Instant::now();
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            if line.contains("/runtime/invocation/next") {
                let _ = tx.send(at);
                // Keep the connection open so the runtime waits instead of retrying.
                std::thread::sleep(Duration::from_secs(5));
                return;
            }
            let _ = (&stream).write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let start = Instant::now();
    let mut child = cmd
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let polled = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let at = polled.map_err(|_| format!("{cmd:?} never polled the runtime API within 20 s"))?;
    Ok(at.duration_since(start).as_secs_f64() * 1e3)
}

/// The environment Lambda gives every function, with dummy credentials and bucket names: the
/// functions read them at start-up but make no AWS call before the first invocation.
pub fn lambda_env(cmd: &mut Command, name: &str) {
    for (k, v) in [
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("ORIGINALS_BUCKET", "originals"),
        ("DERIVATIVES_BUCKET", "derivatives"),
    ] {
        cmd.env(k, v);
    }
}
