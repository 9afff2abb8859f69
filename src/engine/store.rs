//! The server-side state: session records in a slab indexed by a fixed-size key, accounts with
//! an intrusive list of their sessions (so "end all of this user's sessions" touches only them),
//! and remember-me tokens. Records are compact `Copy` structs; nothing here allocates per
//! request.

use rustc_hash::FxHashMap;

use super::clock::Timestamp;
use super::ids::SessionKey;
use super::index::{SlotIndex, hash128};
use super::types::{DeviceId, Role, UserId};

/// End of a per-user list.
pub(crate) const NIL: u32 = u32::MAX;

/// The user field of an anonymous session.
pub(crate) const ANONYMOUS_USER: UserId = UserId(u64::MAX);

/// Bits of [`Session::flags`].
pub(crate) mod sflags {
    /// Not logged in (pre-login session).
    pub(crate) const ANONYMOUS: u8 = 1;
    /// Email not verified: only verification allowed.
    pub(crate) const LIMITED_EMAIL: u8 = 2;
    /// MFA not finished: only MFA allowed.
    pub(crate) const LIMITED_MFA: u8 = 4;
    /// Opened by a remember-me auto-login.
    pub(crate) const VIA_REMEMBER: u8 = 8;
    /// A binding mismatch requires re-authentication.
    pub(crate) const REAUTH_PENDING: u8 = 16;
    /// `geo` holds a location.
    pub(crate) const HAS_GEO: u8 = 32;
    /// A password reset is not finished: only setting the new password allowed.
    pub(crate) const LIMITED_RESET: u8 = 64;
}

/// One live server-side session (or, for the Hybrid mechanism, one refresh-token family).
///
/// 128 bytes, cache-line aligned: the key and everything a plain validation writes are in the
/// first 64 bytes, so finding and touching a session costs one line of the slab (the second
/// line is the adjacent-line prefetcher's pair).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub(crate) struct Session {
    // --- first cache line: lookup and the validation hot path ---
    pub(crate) key: SessionKey,
    /// Last request that counted as activity (idle timeout).
    pub(crate) last_active: Timestamp,
    /// Login time (absolute timeout).
    pub(crate) created: Timestamp,
    /// Last request of any kind (travel speed).
    pub(crate) last_seen: Timestamp,
    pub(crate) ua_fp: u64,
    pub(crate) user: UserId,
    pub(crate) role: Role,
    pub(crate) category: u8,
    pub(crate) flags: u8,
    /// Newest refresh token generation (Hybrid).
    pub(crate) refresh_gen: u32,
    // --- second cache line ---
    /// When the current id was issued (renewal, "session start" for re-auth age).
    pub(crate) id_issued: Timestamp,
    /// Last authentication (re-auth age).
    pub(crate) auth_at: Timestamp,
    pub(crate) ip_fp: u64,
    pub(crate) device: DeviceId,
    /// Identity provider session, 0 = none.
    pub(crate) idp: u64,
    pub(crate) geo: [f32; 2],
    prev: u32,
    next: u32,
}

const _: () = assert!(std::mem::size_of::<Session>() == 128);
const _: () = assert!(std::mem::offset_of!(Session, refresh_gen) < 64);

impl Session {
    /// A record not yet linked to its user's list.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        key: SessionKey,
        user: UserId,
        now: Timestamp,
        auth_at: Timestamp,
        ip_fp: u64,
        ua_fp: u64,
        device: DeviceId,
        category: u8,
        role: Role,
        flags: u8,
    ) -> Self {
        Session {
            key,
            user,
            created: now,
            id_issued: now,
            last_active: now,
            last_seen: now,
            auth_at,
            ip_fp,
            ua_fp,
            device,
            idp: 0,
            geo: [0.0; 2],
            role,
            category,
            flags,
            refresh_gen: 0,
            prev: NIL,
            next: NIL,
        }
    }

    /// The same record under another key.
    pub(crate) fn with_key(self, key: SessionKey) -> Self {
        Session { key, ..self }
    }

    pub(crate) fn is_anonymous(&self) -> bool {
        self.flags & sflags::ANONYMOUS != 0
    }
}

/// An account's state as far as sessions care.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Account {
    pub(crate) role: Role,
    pub(crate) disabled: bool,
    pub(crate) email_verified: bool,
    /// In-progress work was saved when a session expired; the next login restores it.
    pub(crate) restore_work: bool,
    /// Generation stamped into newly issued tokens.
    pub(crate) generation: u32,
    /// Tokens of an older generation are revoked (once any delay has passed).
    pub(crate) min_generation: u32,
    pub(crate) password_epoch: u32,
    head: u32,
    pub(crate) count: u32,
}

impl Account {
    pub(crate) fn new(role: Role, email_verified: bool) -> Self {
        Account {
            role,
            disabled: false,
            email_verified,
            restore_work: false,
            generation: 0,
            min_generation: 0,
            password_epoch: 0,
            head: NIL,
            count: 0,
        }
    }
}

/// Sessions and accounts.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Slots by key hash; the full key is checked in the slot, so a lookup touches one line
    /// of the index and one line of the slab.
    index: SlotIndex,
    slots: Vec<Session>,
    free: Vec<u32>,
    pub(crate) accounts: FxHashMap<UserId, Account>,
}

#[inline]
fn hash_key(key: SessionKey) -> u64 {
    hash128(key.as_u128())
}

impl Store {
    #[inline]
    pub(crate) fn find(&self, key: SessionKey) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash_key(key), |slot| slots[slot as usize].key == key)
    }

    #[inline]
    pub(crate) fn get(&self, slot: u32) -> &Session {
        &self.slots[slot as usize]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32) -> &mut Session {
        &mut self.slots[slot as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    fn index_insert(&mut self, slot: u32) {
        let key = self.slots[slot as usize].key;
        self.index.insert(hash_key(key), slot);
    }

    fn index_remove(&mut self, slot: u32) {
        let key = self.slots[slot as usize].key;
        self.index.remove(hash_key(key), slot);
    }

    /// Inserts a record (its key must be free) and links it to its user.
    pub(crate) fn insert(&mut self, session: Session) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = session;
                slot
            }
            None => {
                self.slots.push(session);
                (self.slots.len() - 1) as u32
            }
        };
        self.index_insert(slot);
        if !session.is_anonymous() {
            self.link(slot);
        }
        slot
    }

    /// Removes a record and returns it.
    pub(crate) fn remove(&mut self, slot: u32) -> Session {
        let session = self.slots[slot as usize];
        self.index_remove(slot);
        if !session.is_anonymous() {
            self.unlink(slot);
        }
        self.free.push(slot);
        session
    }

    /// Gives a record a new key.
    pub(crate) fn rekey(&mut self, slot: u32, key: SessionKey) {
        self.index_remove(slot);
        self.slots[slot as usize].key = key;
        self.index_insert(slot);
    }

    /// Replaces an anonymous record with `session` (same key) and links it to its user.
    pub(crate) fn adopt(&mut self, slot: u32, session: Session) {
        self.slots[slot as usize] = Session {
            prev: NIL,
            next: NIL,
            ..session
        };
        if !session.is_anonymous() {
            self.link(slot);
        }
    }

    fn link(&mut self, slot: u32) {
        let user = self.slots[slot as usize].user;
        let Some(account) = self.accounts.get_mut(&user) else {
            return;
        };
        let head = account.head;
        account.head = slot;
        account.count += 1;
        let s = &mut self.slots[slot as usize];
        s.prev = NIL;
        s.next = head;
        if head != NIL {
            self.slots[head as usize].prev = slot;
        }
    }

    fn unlink(&mut self, slot: u32) {
        let Session {
            prev, next, user, ..
        } = self.slots[slot as usize];
        if prev != NIL {
            self.slots[prev as usize].next = next;
        } else if let Some(account) = self.accounts.get_mut(&user)
            && account.head == slot
        {
            account.head = next;
        }
        if next != NIL {
            self.slots[next as usize].prev = prev;
        }
        if let Some(account) = self.accounts.get_mut(&user) {
            account.count = account.count.saturating_sub(1);
        }
        let s = &mut self.slots[slot as usize];
        s.prev = NIL;
        s.next = NIL;
    }

    /// Appends the slots of `user`'s sessions to `out`.
    pub(crate) fn user_slots(&self, user: UserId, out: &mut Vec<u32>) {
        let mut cur = self.accounts.get(&user).map_or(NIL, |a| a.head);
        while cur != NIL {
            out.push(cur);
            cur = self.slots[cur as usize].next;
        }
    }

    /// Appends every live slot to `out`.
    pub(crate) fn all_slots(&self, out: &mut Vec<u32>) {
        out.extend(self.index.slots());
    }

    /// Bytes held by the store's tables (capacity, not just length).
    pub(crate) fn heap_bytes(&self) -> usize {
        let index = self.index.capacity() * std::mem::size_of::<u64>();
        let slots = self.slots.capacity() * std::mem::size_of::<Session>();
        let free = self.free.capacity() * 4;
        // A hashbrown table of capacity c has the next power of two above 8c/7 buckets, each
        // with its entry and one control byte.
        let buckets = match self.accounts.capacity() {
            0 => 0,
            c => (c * 8 / 7).next_power_of_two(),
        };
        let accounts = buckets * (std::mem::size_of::<(UserId, Account)>() + 1);
        index + slots + free + accounts
    }
}

/// One remember-me token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RememberRecord {
    pub(crate) user: UserId,
    pub(crate) device: DeviceId,
    /// The password login the token stands for.
    pub(crate) authenticated: Timestamp,
    pub(crate) expires: Option<Timestamp>,
}

/// Remember-me tokens, by token and by user.
#[derive(Debug, Default)]
pub(crate) struct RememberStore {
    pub(crate) tokens: FxHashMap<SessionKey, RememberRecord>,
    pub(crate) by_user: FxHashMap<UserId, Vec<SessionKey>>,
}

impl RememberStore {
    pub(crate) fn insert(&mut self, key: SessionKey, record: RememberRecord) {
        self.tokens.insert(key, record);
        self.by_user.entry(record.user).or_default().push(key);
    }

    pub(crate) fn remove(&mut self, key: SessionKey) -> Option<RememberRecord> {
        let record = self.tokens.remove(&key)?;
        if let Some(keys) = self.by_user.get_mut(&record.user) {
            keys.retain(|k| *k != key);
            if keys.is_empty() {
                self.by_user.remove(&record.user);
            }
        }
        Some(record)
    }

    /// Removes `user`'s tokens (only those of `device` if given); returns how many.
    pub(crate) fn remove_user(&mut self, user: UserId, device: Option<DeviceId>) -> u32 {
        let Some(keys) = self.by_user.remove(&user) else {
            return 0;
        };
        let mut kept = Vec::new();
        let mut removed = 0;
        for key in keys {
            let matches = match (device, self.tokens.get(&key)) {
                (Some(d), Some(r)) => r.device == d,
                _ => true,
            };
            if matches {
                removed += u32::from(self.tokens.remove(&key).is_some());
            } else {
                kept.push(key);
            }
        }
        if !kept.is_empty() {
            self.by_user.insert(user, kept);
        }
        removed
    }
}
