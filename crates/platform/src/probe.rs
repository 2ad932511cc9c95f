//! Reachability probes for `/readyz`: a real protocol exchange with Redis (`PING`) and NATS (the server's
//! `INFO` greeting), with a deadline, and nothing more.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("bad URL: {0}")]
    Url(&'static str),
    #[error("unreachable: {0}")]
    Io(#[from] std::io::Error),
    #[error("no answer within the deadline")]
    Timeout,
    #[error("unexpected answer")]
    Protocol,
}

struct Target {
    host_port: String,
    user: Option<String>,
    password: Option<String>,
}

/// Splits `scheme://[user[:password]@]host[:port][/...]`.
fn parse_url(url: &str, scheme: &str, default_port: u16) -> Result<Target, ProbeError> {
    let rest = url
        .strip_prefix(scheme)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or(ProbeError::Url("unexpected scheme"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(ProbeError::Url("missing host"));
    }
    let host_port = if host.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    };
    let (user, password) = match userinfo.map(|u| u.split_once(':')) {
        Some(Some((u, p))) => ((!u.is_empty()).then(|| u.to_owned()), Some(p.to_owned())),
        Some(None) => (userinfo.map(str::to_owned), None),
        None => (None, None),
    };
    Ok(Target {
        host_port,
        user,
        password,
    })
}

async fn with_deadline<T>(
    deadline: Duration,
    work: impl Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    tokio::time::timeout(deadline, work)
        .await
        .map_err(|_| ProbeError::Timeout)?
}

pub async fn redis(url: &str, deadline: Duration) -> Result<(), ProbeError> {
    let scheme = if url.starts_with("rediss") { "rediss" } else { "redis" };
    if scheme == "rediss" {
        // A TLS Redis needs the real client; a plain TCP probe would only prove the port is open.
        return Err(ProbeError::Url("rediss:// is not supported by the readiness probe"));
    }
    let target = parse_url(url, scheme, 6379)?;
    with_deadline(deadline, async {
        let stream = TcpStream::connect(&target.host_port).await?;
        let mut stream = BufReader::new(stream);
        if let Some(password) = &target.password {
            let auth = match &target.user {
                Some(user) => resp_command(&["AUTH", user, password]),
                None => resp_command(&["AUTH", password]),
            };
            stream.get_mut().write_all(&auth).await?;
            expect_line(&mut stream, "+OK").await?;
        }
        stream.get_mut().write_all(&resp_command(&["PING"])).await?;
        expect_line(&mut stream, "+PONG").await
    })
    .await
}

pub async fn nats(url: &str, deadline: Duration) -> Result<(), ProbeError> {
    let target = parse_url(url, "nats", 4222)?;
    with_deadline(deadline, async {
        let stream = TcpStream::connect(&target.host_port).await?;
        let mut stream = BufReader::new(stream);
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        if line.starts_with("INFO ") {
            Ok(())
        } else {
            Err(ProbeError::Protocol)
        }
    })
    .await
}

fn resp_command(parts: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

async fn expect_line(stream: &mut BufReader<TcpStream>, expected: &str) -> Result<(), ProbeError> {
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    if line.trim_end() == expected {
        Ok(())
    } else {
        Err(ProbeError::Protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split() {
        let t = parse_url("redis://:pw@cache:6380/0", "redis", 6379).unwrap();
        assert_eq!(t.host_port, "cache:6380");
        assert_eq!(t.user, None);
        assert_eq!(t.password.as_deref(), Some("pw"));
        let t = parse_url("nats://127.0.0.1", "nats", 4222).unwrap();
        assert_eq!(t.host_port, "127.0.0.1:4222");
        assert!(parse_url("nats://", "nats", 4222).is_err());
        assert!(parse_url("http://x", "nats", 4222).is_err());
    }

    #[tokio::test]
    async fn an_unreachable_service_is_reported() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("redis://127.0.0.1:{port}");
        assert!(redis(&url, Duration::from_secs(2)).await.is_err());
    }
}
