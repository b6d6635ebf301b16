//! The sharp side: a long-lived `node bench/sharp/runner.mjs` that runs one job per JSON line,
//! so sharp is timed in-process exactly like the engine.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::Deserialize;
use serde_json::{Value, json};

pub struct Sharp {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// `sharp.versions` as the runner reported it (sharp, libvips, codecs).
    pub versions: Value,
}

#[derive(Debug, Deserialize)]
pub struct Output {
    pub bytes: usize,
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    pub ms: f64,
    pub outputs: Vec<Output>,
}

impl Sharp {
    /// Starts the runner from `dir` (which holds runner.mjs and its installed node_modules).
    pub fn start(dir: &Path) -> Result<Sharp, String> {
        let mut child = Command::new("node")
            .arg("runner.mjs")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start node in {}: {e}", dir.display()))?;
        let stdin = child.stdin.take().ok_or("runner stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("runner stdout")?);
        let mut sharp = Sharp {
            child,
            stdin,
            stdout,
            versions: Value::Null,
        };
        let ready = sharp.read()?;
        sharp.versions = ready
            .get("ready")
            .cloned()
            .ok_or_else(|| format!("runner did not start: {ready}"))?;
        Ok(sharp)
    }

    fn read(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading from the sharp runner: {e}"))?;
        if line.is_empty() {
            return Err("the sharp runner exited".into());
        }
        serde_json::from_str(&line).map_err(|e| format!("sharp runner said {line:?}: {e}"))
    }

    /// Runs `variants` (each one sharp pipeline) on `file`; writes the outputs to `out_dir`
    /// as `0.jpeg`, `1.webp`, … when given.
    pub fn run(
        &mut self,
        file: &Path,
        variants: &[Value],
        out_dir: Option<&Path>,
    ) -> Result<Reply, String> {
        let job = json!({ "file": file, "variants": variants, "out_dir": out_dir });
        writeln!(self.stdin, "{job}").map_err(|e| format!("writing to the sharp runner: {e}"))?;
        let reply = self.read()?;
        if let Some(e) = reply.get("error") {
            return Err(format!("sharp on {}: {e}", file.display()));
        }
        serde_json::from_value(reply).map_err(|e| format!("sharp reply: {e}"))
    }
}

impl Drop for Sharp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
