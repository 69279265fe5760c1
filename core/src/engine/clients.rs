//! The table of connected clients: a slab indexed by the host's handle,
//! plus an id index ordered by connection time (CLIENT LIST order).
//!
//! While a client runs a command it is checked out of the table (its slot
//! is empty), so the command can change it and read every other client at
//! the same time.

use super::client::Client;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// How the host names a client: a slot and the id that lives in it, so a
/// stale handle never reaches a newer client in the same slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientHandle {
    /// Slot in the table.
    pub slot: u32,
    /// The client's id.
    pub id: u64,
}

/// All connected clients.
#[derive(Default)]
pub struct Clients {
    slots: Vec<Option<Box<Client>>>,
    free: Vec<u32>,
    by_id: BTreeMap<u64, u32>,
}

impl Clients {
    /// Number of connected clients (checked-out ones included).
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds a client; returns its handle.
    pub fn insert(&mut self, client: Client) -> ClientHandle {
        let id = client.id;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(Box::new(client));
                slot
            }
            None => {
                self.slots.push(Some(Box::new(client)));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_id.insert(id, slot);
        ClientHandle { slot, id }
    }

    /// Removes a client (checked in or not).
    pub fn remove(&mut self, handle: ClientHandle) -> Option<Box<Client>> {
        if self.by_id.get(&handle.id) != Some(&handle.slot) {
            return None;
        }
        self.by_id.remove(&handle.id);
        self.free.push(handle.slot);
        self.slots[handle.slot as usize].take()
    }

    /// Takes a client out to run it; `None` if gone or already out.
    pub fn checkout(&mut self, handle: ClientHandle) -> Option<Box<Client>> {
        let slot = self.slots.get_mut(handle.slot as usize)?;
        if slot.as_ref().is_some_and(|c| c.id == handle.id) {
            slot.take()
        } else {
            None
        }
    }

    /// Puts a checked-out client back.
    pub fn checkin(&mut self, handle: ClientHandle, client: Box<Client>) {
        if self.by_id.get(&handle.id) == Some(&handle.slot) {
            self.slots[handle.slot as usize] = Some(client);
        }
    }

    /// The client behind `handle`, if checked in.
    pub fn get(&self, handle: ClientHandle) -> Option<&Client> {
        self.slots
            .get(handle.slot as usize)?
            .as_deref()
            .filter(|c| c.id == handle.id)
    }

    /// Mutable access to the client behind `handle`.
    pub fn get_mut(&mut self, handle: ClientHandle) -> Option<&mut Client> {
        self.slots
            .get_mut(handle.slot as usize)?
            .as_deref_mut()
            .filter(|c| c.id == handle.id)
    }

    /// The handle of client `id`.
    pub fn handle_of(&self, id: u64) -> Option<ClientHandle> {
        self.by_id.get(&id).map(|&slot| ClientHandle { slot, id })
    }

    /// Mutable access by id (`None` if gone or checked out).
    pub fn by_id_mut(&mut self, id: u64) -> Option<&mut Client> {
        let handle = self.handle_of(id)?;
        self.get_mut(handle)
    }

    /// Handles of every client, oldest first.
    pub fn handles(&self) -> Vec<ClientHandle> {
        self.by_id
            .iter()
            .map(|(&id, &slot)| ClientHandle { slot, id })
            .collect()
    }

    /// Every checked-in client, oldest first, with checked-out ones as
    /// `None` (their id given) so callers can put the running client in place.
    pub fn iter_ordered(&self) -> impl Iterator<Item = (u64, Option<&Client>)> + '_ {
        self.by_id
            .iter()
            .map(move |(&id, &slot)| (id, self.slots[slot as usize].as_deref()))
    }
}
