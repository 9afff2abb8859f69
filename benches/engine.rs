//! Engine speed and memory: validating and touching a live session from its cookie value,
//! against a bare `HashMap<String, _>` doing the same lookup and update on the same cookie
//! strings, with 1M live sessions and random access; plus login, and bytes per live session;
//! and validating a signed access token against the bare HMAC-SHA256 it contains.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::{ChaCha8Rng, ChaCha20Rng};
use sessionmap::engine::{
    AccountSetup, Client, DeviceCategory, DeviceId, LoginRequest, ManualClock, Mechanism,
    MfaStatus, NoAudit, Policy, RememberMe, RequestKind, Role, SessionEngine, Timestamp, UserId,
};

/// Counts live heap bytes, to measure memory per session.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to the system allocator and only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SESSIONS: u64 = 1_000_000;
const ACCESSES: usize = 1 << 20;

const CLIENT: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    geo: None,
    device: DeviceId(1),
    category: DeviceCategory::Desktop,
};

fn login_request(user: UserId) -> LoginRequest<'static> {
    LoginRequest {
        user,
        client: CLIENT,
        mfa: MfaStatus::NotEnrolled,
        remember_me: RememberMe::No,
        presented_id: None,
        idp_session: None,
    }
}

fn new_engine() -> (SessionEngine, ManualClock) {
    new_engine_with(Policy::default())
}

fn new_engine_with(policy: Policy) -> (SessionEngine, ManualClock) {
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_700_000_000_000));
    let engine = SessionEngine::new(
        policy,
        clock.clone(),
        NoAudit,
        ChaCha20Rng::seed_from_u64(42),
    )
    .expect("default policy is valid");
    (engine, clock)
}

/// One account and one live session per user; returns the cookie values.
fn populate(engine: &mut SessionEngine) -> Vec<String> {
    let setup = AccountSetup {
        role: Role::USER,
        email_verified: true,
    };
    (0..SESSIONS)
        .map(|n| {
            engine.add_account(UserId(n), setup);
            engine
                .login(&login_request(UserId(n)))
                .expect("login")
                .credential
                .value
        })
        .collect()
}

fn bench_engine(c: &mut Criterion) {
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let (mut engine, _clock) = new_engine();
    let cookies = populate(&mut engine);
    let cookie_bytes: usize = cookies.iter().map(|c| c.capacity()).sum::<usize>()
        + cookies.capacity() * std::mem::size_of::<String>();
    let engine_bytes = LIVE_BYTES.load(Ordering::Relaxed) - before - cookie_bytes;
    println!(
        "engine: {} live sessions, {} bytes/session measured by the allocator \
         (session + account + index), {} bytes/session by table capacity",
        engine.live_sessions(),
        engine_bytes as u64 / SESSIONS,
        engine.table_bytes() as u64 / SESSIONS,
    );

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let order: Vec<u32> = (0..ACCESSES)
        .map(|_| rng.random_range(0..SESSIONS as u32))
        .collect();

    // The hot path must not allocate when the audit sink is off.
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    for &n in order.iter().take(100_000) {
        let accepted = engine.validate(&cookies[n as usize], &CLIENT, RequestKind::UserAction);
        assert!(accepted.is_ok());
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    println!("validate_touch: {allocations} allocations in 100000 validations");
    assert_eq!(allocations, 0);

    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut baseline: HashMap<String, (u64, u64)> = cookies
        .iter()
        .enumerate()
        .map(|(i, c)| (c.clone(), (i as u64, 0)))
        .collect();
    println!(
        "hashmap_baseline: {} bytes/entry (String key + value + table)",
        (LIVE_BYTES.load(Ordering::Relaxed) - before) as u64 / SESSIONS
    );

    let mut group = c.benchmark_group("engine");
    group.measurement_time(Duration::from_secs(8));

    let mut i = 0usize;
    group.bench_function("validate_touch", |b| {
        b.iter(|| {
            i = (i + 1) & (ACCESSES - 1);
            let cookie = &cookies[order[i] as usize];
            let accepted = engine.validate(black_box(cookie), &CLIENT, RequestKind::UserAction);
            black_box(accepted.is_ok())
        })
    });

    let mut i = 0usize;
    let mut now = 0u64;
    group.bench_function("hashmap_baseline", |b| {
        b.iter(|| {
            i = (i + 1) & (ACCESSES - 1);
            now += 1;
            let cookie = &cookies[order[i] as usize];
            let hit = match baseline.get_mut(black_box(cookie.as_str())) {
                Some(entry) => {
                    entry.1 = now;
                    true
                }
                None => false,
            };
            black_box(hit)
        })
    });

    // Steady state: 10k users with the default limit of 5, so every login also evicts one.
    let (mut login_engine, _clock) = new_engine();
    for n in 0..10_000 {
        login_engine.add_account(
            UserId(n),
            AccountSetup {
                role: Role::USER,
                email_verified: true,
            },
        );
    }
    let mut n = 0u64;
    group.bench_function("login", |b| {
        b.iter(|| {
            n = (n + 1) % 10_000;
            black_box(login_engine.login(&login_request(UserId(n))).is_ok())
        })
    });
    group.finish();
    bench_tokens(c);
    assert!(
        engine
            .validate(&cookies[0], &CLIENT, RequestKind::UserAction)
            .is_ok()
    );
}

/// Validating a signed access token against computing the bare HMAC-SHA256 over the same
/// `header.payload` bytes with a key of the same length: the difference is what decoding,
/// parsing and checking the claims cost.
fn bench_tokens(c: &mut Criterion) {
    use hmac::{Hmac, Mac};
    let (mut engine, _clock) = new_engine_with(Policy {
        mechanism: Mechanism::SignedToken,
        ..Policy::default()
    });
    let tokens: Vec<String> = (0..10_000)
        .map(|n| {
            engine.add_account(
                UserId(n),
                AccountSetup {
                    role: Role::USER,
                    email_verified: true,
                },
            );
            engine
                .login(&login_request(UserId(n)))
                .expect("login")
                .credential
                .value
        })
        .collect();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    for token in &tokens {
        assert!(
            engine
                .validate(token, &CLIENT, RequestKind::UserAction)
                .is_ok()
        );
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    println!("token_validate: {allocations} allocations in 10000 validations");
    assert_eq!(allocations, 0);

    let mac = Hmac::<sha2::Sha256>::new_from_slice(&[0x5a; 32]).expect("any key length");
    let signed: Vec<&str> = tokens
        .iter()
        .map(|t| &t[..t.rfind('.').expect("three parts")])
        .collect();

    let mut group = c.benchmark_group("token");
    group.measurement_time(Duration::from_secs(6));
    let mut i = 0usize;
    group.bench_function("token_validate", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            let accepted = engine.validate(black_box(&tokens[i]), &CLIENT, RequestKind::UserAction);
            black_box(accepted.is_ok())
        })
    });
    let mut i = 0usize;
    group.bench_function("bare_hmac_sha256", |b| {
        b.iter(|| {
            i = (i + 1) % signed.len();
            let mut m = mac.clone();
            m.update(black_box(signed[i]).as_bytes());
            black_box(m.finalize().into_bytes())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
