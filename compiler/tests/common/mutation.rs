//! Byte-level mutations of valid inputs, to fuzz readers with proptest:
//! whatever the mutated bytes, a reader must answer with a value or an
//! error, never a panic.

use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    Truncate { at: usize },
}

/// Sequences of mutations in `count` whose inserted bytes are random or
/// taken from `structural`: bytes that change the format's structure or a
/// number, which reach a reader's corners more often than random ones.
pub fn mutations(structural: &'static [u8], count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Mutation>> {
    let byte = prop_oneof![any::<u8>(), prop::sample::select(structural)];
    let mutation = prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), byte).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ];
    prop::collection::vec(mutation, count)
}

pub fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len();
        match *mutation {
            Mutation::Flip { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
            Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
            Mutation::Delete { at } if len > 0 => {
                bytes.remove(at % len);
            }
            Mutation::Truncate { at } => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
    bytes
}
