//! The engine's hot paths allocate nothing: validating a session cookie or an access token is a
//! lookup and a check, not a parse into heap values. Counted by a global allocator that counts
//! per thread, so other tests running at the same time do not disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};

use rand::SeedableRng as _;
use rand_chacha::ChaCha20Rng;
use sessionmap::engine::{
    AccountSetup, Client, DeviceCategory, DeviceId, LoginRequest, ManualClock, Mechanism,
    MfaStatus, NoAudit, Policy, RememberMe, RequestKind, Role, SessionEngine, Timestamp, UserId,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator and only counts; the counter is a const-initialised
// thread-local without a destructor, so touching it never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const CLIENT: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    geo: None,
    device: DeviceId(1),
    category: DeviceCategory::Desktop,
};

/// An engine of `mechanism` with 100 signed-in users; returns the credentials they hold.
fn signed_in(mechanism: Mechanism) -> (SessionEngine, Vec<String>) {
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_700_000_000_000));
    let policy = Policy {
        mechanism,
        ..Policy::default()
    };
    let mut engine = SessionEngine::new(policy, clock, NoAudit, ChaCha20Rng::seed_from_u64(42))
        .expect("the default policy with any mechanism is valid");
    let credentials = (0..100)
        .map(|n| {
            engine.add_account(
                UserId(n),
                AccountSetup {
                    role: Role::USER,
                    email_verified: true,
                },
            );
            let login = LoginRequest {
                user: UserId(n),
                client: CLIENT,
                mfa: MfaStatus::NotEnrolled,
                remember_me: RememberMe::No,
                presented_id: None,
                idp_session: None,
            };
            engine.login(&login).expect("login").credential.value
        })
        .collect();
    (engine, credentials)
}

fn validating_allocates_nothing(mechanism: Mechanism) {
    let (mut engine, credentials) = signed_in(mechanism);
    let allocations = allocations_in(|| {
        for credential in &credentials {
            for kind in [RequestKind::UserAction, RequestKind::Background] {
                assert!(engine.validate(credential, &CLIENT, kind).is_ok());
            }
        }
    });
    assert_eq!(
        allocations, 0,
        "{mechanism:?}: allocations in 200 validations"
    );
}

#[test]
fn validating_a_session_cookie_allocates_nothing() {
    validating_allocates_nothing(Mechanism::ServerSide);
}

#[test]
fn validating_a_signed_access_token_allocates_nothing() {
    validating_allocates_nothing(Mechanism::SignedToken);
}

#[test]
fn validating_a_hybrid_access_token_allocates_nothing() {
    validating_allocates_nothing(Mechanism::Hybrid);
}

#[test]
fn the_counter_sees_an_allocation() {
    let n = allocations_in(|| {
        std::hint::black_box(vec![1u8; 64]);
    });
    assert!(n >= 1);
}
