# lib/: Merkle tree math and C2SP signed notes.
