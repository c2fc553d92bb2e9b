//! Remote JWKS bookkeeping that does not need the host: the records kept
//! in Envoy's shared data (one fetch serves every worker), and the
//! decisions of when to fetch, when to refetch for an unknown `kid`, and
//! when keys are too old to serve.

use std::string::{String, ToString};

use crate::key::jwks::JwkSet;

use super::config::RemoteJwks;

/// An unknown `kid` triggers at most one refetch per provider this often.
pub const REFETCH_INTERVAL_MS: u64 = 30_000;
/// Keys older than this many cache durations are dropped.
pub const STALE_FACTOR: u64 = 10;
/// Largest JWKS document accepted from the server.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;

/// A provider's fetched keys, parsed once per worker.
#[derive(Debug)]
pub struct RemoteKeys {
    /// The keys.
    pub set: JwkSet,
    /// When they were fetched (ms since the epoch).
    pub fetched_at_ms: u64,
    /// The shared generation they belong to.
    pub generation: u64,
}

/// The shared-data keys of one provider. The suffix hashes the cluster and
/// URI, so a changed `remote_jwks` never reads another endpoint's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedKeys {
    /// `fetched_at_ms generation\n<JWKS>`: the last good document.
    pub jwks: String,
    /// `generation`: bumped after each good fetch (cheap to poll).
    pub generation: String,
    /// [`FetchState`].
    pub state: String,
}

impl SharedKeys {
    /// The keys for provider `name` fetching `remote`.
    pub fn new(name: &str, remote: &RemoteJwks) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in remote
            .cluster
            .bytes()
            .chain([0u8])
            .chain(remote.uri.bytes())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let base = std::format!("{name}.{hash:016x}");
        Self {
            jwks: std::format!("jwt_edge.jwks.{base}"),
            generation: std::format!("jwt_edge.gen.{base}"),
            state: std::format!("jwt_edge.state.{base}"),
        }
    }
}

/// The shared fetch state of a provider, updated with compare-and-swap.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FetchState {
    /// A worker holds the fetch until then (ms); 0: nobody.
    pub lease_until_ms: u64,
    /// Last unknown-`kid` refetch granted (ms).
    pub last_refetch_ms: u64,
    /// Last failed fetch (ms); 0: none since the last success.
    pub last_failure_ms: u64,
    /// An unknown-`kid` refetch is pending.
    pub refetch_pending: bool,
}

impl FetchState {
    /// Parses the shared record; anything unreadable is a fresh state.
    pub fn decode(bytes: Option<&[u8]>) -> Self {
        let text = bytes
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("");
        let mut fields = text.split(' ').map(|f| f.parse::<u64>().unwrap_or(0));
        Self {
            lease_until_ms: fields.next().unwrap_or(0),
            last_refetch_ms: fields.next().unwrap_or(0),
            last_failure_ms: fields.next().unwrap_or(0),
            refetch_pending: fields.next().unwrap_or(0) == 1,
        }
    }

    /// The shared record.
    pub fn encode(&self) -> String {
        std::format!(
            "{} {} {} {}",
            self.lease_until_ms,
            self.last_refetch_ms,
            self.last_failure_ms,
            u8::from(self.refetch_pending)
        )
    }

    /// Grants an unknown-`kid` refetch if none was granted in the last 30 s.
    pub fn grant_refetch(&mut self, now_ms: u64) -> bool {
        if self.last_refetch_ms != 0
            && now_ms.saturating_sub(self.last_refetch_ms) < REFETCH_INTERVAL_MS
        {
            return false;
        }
        self.last_refetch_ms = now_ms;
        self.refetch_pending = true;
        true
    }

    /// Should a worker start a fetch now? `fetched_at_ms`: age of the
    /// newest shared keys, if any.
    pub fn fetch_due(&self, now_ms: u64, fetched_at_ms: Option<u64>, remote: &RemoteJwks) -> bool {
        if self.lease_until_ms > now_ms {
            return false;
        }
        let duration_ms = remote.cache_duration_seconds.saturating_mul(1000);
        let backoff_ms = match fetched_at_ms {
            // No keys at all: retry soon.
            None => 1_000,
            Some(_) => (duration_ms / 10).clamp(1_000, 30_000),
        };
        if self.last_failure_ms != 0 && now_ms.saturating_sub(self.last_failure_ms) < backoff_ms {
            return false;
        }
        if self.refetch_pending {
            return true;
        }
        match fetched_at_ms {
            None => true,
            // Refresh in the background at 80 % of the cache duration.
            Some(fetched) => now_ms.saturating_sub(fetched) >= duration_ms / 10 * 8,
        }
    }

    /// Takes the fetch lease until the fetch can no longer answer.
    pub fn take_lease(&mut self, now_ms: u64, remote: &RemoteJwks) {
        self.lease_until_ms = now_ms
            .saturating_add(remote.timeout_ms)
            .saturating_add(1_000);
        self.refetch_pending = false;
    }

    /// Records the end of a fetch.
    pub fn finish(&mut self, now_ms: u64, ok: bool) {
        self.lease_until_ms = 0;
        self.last_failure_ms = if ok { 0 } else { now_ms.max(1) };
    }
}

/// True while keys fetched at `fetched_at_ms` may still serve: ten cache
/// durations, however the server fails meanwhile.
pub fn keys_usable(now_ms: u64, fetched_at_ms: u64, remote: &RemoteJwks) -> bool {
    let bound = remote
        .cache_duration_seconds
        .saturating_mul(1000)
        .saturating_mul(STALE_FACTOR);
    now_ms.saturating_sub(fetched_at_ms) < bound
}

/// The shared JWKS record.
pub fn encode_jwks(fetched_at_ms: u64, generation: u64, body: &str) -> String {
    std::format!("{fetched_at_ms} {generation}\n{body}")
}

/// Parses a shared JWKS record: (fetched_at_ms, generation, JWKS text).
pub fn decode_jwks(bytes: &[u8]) -> Option<(u64, u64, &str)> {
    let text = core::str::from_utf8(bytes).ok()?;
    let (head, body) = text.split_once('\n')?;
    let (fetched, generation) = head.split_once(' ')?;
    Some((fetched.parse().ok()?, generation.parse().ok()?, body))
}

/// Parses a generation record.
pub fn decode_generation(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| core::str::from_utf8(b).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

/// Checks a fetched JWKS response: status 200, bounded size, a JWKS with
/// at least one usable key. Returns the parsed set or why it was refused.
pub fn check_response(status: Option<&str>, body: &[u8]) -> Result<(JwkSet, String), String> {
    if status != Some("200") {
        return Err(std::format!(
            "the JWKS server answered {}",
            status.unwrap_or("nothing")
        ));
    }
    if body.len() > MAX_JWKS_BYTES {
        return Err(std::format!(
            "the JWKS is larger than {MAX_JWKS_BYTES} bytes"
        ));
    }
    let text = core::str::from_utf8(body).map_err(|_| "the JWKS is not UTF-8".to_string())?;
    let set = JwkSet::from_json(text).map_err(|e| e.to_string())?;
    if set.keys.is_empty() {
        return Err("the JWKS holds no usable key".into());
    }
    Ok((set, text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote() -> RemoteJwks {
        RemoteJwks {
            cluster: "idp".into(),
            uri: "http://idp/keys".into(),
            authority: "idp".into(),
            path: "/keys".into(),
            cache_duration_seconds: 100,
            timeout_ms: 500,
        }
    }

    #[test]
    fn state_round_trip_and_refetch_limit() {
        let mut state = FetchState::default();
        assert!(state.grant_refetch(1_000_000));
        assert!(!state.grant_refetch(1_029_999));
        let decoded = FetchState::decode(Some(state.encode().as_bytes()));
        assert_eq!(decoded, state);
        assert!(decoded.clone().grant_refetch(1_030_000));
        assert_eq!(FetchState::decode(Some(b"garbage")), FetchState::default());
    }

    #[test]
    fn fetch_schedule() {
        let r = remote();
        let mut state = FetchState::default();
        assert!(state.fetch_due(5_000, None, &r));
        state.take_lease(5_000, &r);
        assert!(!state.fetch_due(5_100, None, &r));
        state.finish(5_200, false);
        assert!(!state.fetch_due(5_300, None, &r));
        assert!(state.fetch_due(6_300, None, &r));
        state.finish(6_400, true);
        // Fresh keys: refreshed at 80 % of 100 s.
        assert!(!state.fetch_due(70_000, Some(0), &r));
        assert!(state.fetch_due(80_000, Some(0), &r));
        // A pending unknown-kid refetch goes now.
        let mut state = FetchState::default();
        assert!(state.grant_refetch(10_000));
        assert!(state.fetch_due(10_000, Some(9_000), &r));
        assert!(keys_usable(999_999, 0, &r));
        assert!(!keys_usable(1_000_000, 0, &r));
    }

    #[test]
    fn records() {
        let record = encode_jwks(12, 3, "{\"keys\":[]}");
        assert_eq!(
            decode_jwks(record.as_bytes()),
            Some((12, 3, "{\"keys\":[]}"))
        );
        assert_eq!(decode_jwks(b"x"), None);
        assert_eq!(decode_generation(Some(b"7")), 7);
        assert_eq!(decode_generation(None), 0);
        assert!(check_response(Some("500"), b"{}").is_err());
        assert!(check_response(Some("200"), b"{\"keys\":[]}").is_err());
        assert!(check_response(Some("200"), b"not json").is_err());
        let a = SharedKeys::new("p", &remote());
        let mut other = remote();
        other.uri = "http://idp/other".into();
        assert_ne!(a.jwks, SharedKeys::new("p", &other).jwks);
    }
}
