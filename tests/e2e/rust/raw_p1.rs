// raw_p1.rs - a Rust program calling the preview 1 imports directly, the way
// the `wasi` crate does (tests/e2e/rust_p1.sh builds and runs it). It finds
// the preopen named by its first argument, re-opens it as "." with every
// right (which must not be EISDIR), checks the rights a directory cannot have
// were dropped, drops rights with fd_fdstat_set_rights and sees the dropped
// ones refused with `notcapable`, renumbers, and tries a read-only preopen
// named by its second argument (no file beneath it opens for writing). Each step prints one line; any surprise
// exits with status 1. A third argument `adapted` leaves out the steps that
// change rights: run as a component through the preview 1 adapter
// (tests/e2e/rust_p2_adapted.sh), fd_fdstat_set_rights is a trap, as
// preview 2 has no rights (a descriptor's flags are fixed at open-at).
use std::process::exit;

#[repr(C)]
struct Iov {
    buf: *const u8,
    len: usize,
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn fd_prestat_get(fd: u32, buf: *mut u8) -> u16;
    fn fd_prestat_dir_name(fd: u32, path: *mut u8, len: usize) -> u16;
    fn path_open(fd: u32, dirflags: u32, path: *const u8, path_len: usize, oflags: u16,
                 base: u64, inheriting: u64, fdflags: u16, opened: *mut u32) -> u16;
    fn fd_fdstat_get(fd: u32, stat: *mut u8) -> u16;
    fn fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) -> u16;
    fn fd_write(fd: u32, iovs: *const Iov, n: usize, written: *mut usize) -> u16;
    fn fd_read(fd: u32, iovs: *const Iov, n: usize, read: *mut usize) -> u16;
    fn fd_seek(fd: u32, offset: i64, whence: u8, pos: *mut u64) -> u16;
    fn fd_renumber(from: u32, to: u32) -> u16;
    fn fd_close(fd: u32) -> u16;
    fn path_create_directory(fd: u32, path: *const u8, len: usize) -> u16;
    fn fd_readdir(fd: u32, buf: *mut u8, len: usize, cookie: u64, used: *mut usize) -> u16;
}

const ALL: u64 = (1 << 30) - 1;
const O_CREAT: u16 = 1;
const O_DIRECTORY: u16 = 2;
const O_TRUNC: u16 = 8;
const FD_READ: u64 = 1 << 1;
const FD_WRITE: u64 = 1 << 6;
const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
const PATH_OPEN: u64 = 1 << 13;
const FD_READDIR: u64 = 1 << 14;
const NOTCAPABLE: u16 = 76;

fn check(what: &str, got: u16, want: u16) {
    println!("{}: {}", what, got);
    if got != want {
        eprintln!("{}: errno {}, want {}", what, got, want);
        exit(1);
    }
}

fn preopen(name: &str) -> u32 {
    for fd in 3..64 {
        let mut st = [0u8; 8];
        if unsafe { fd_prestat_get(fd, st.as_mut_ptr()) } != 0 {
            continue;
        }
        let len = u32::from_le_bytes([st[4], st[5], st[6], st[7]]) as usize;
        let mut buf = vec![0u8; len];
        unsafe { fd_prestat_dir_name(fd, buf.as_mut_ptr(), len) };
        if buf == name.as_bytes() {
            return fd;
        }
    }
    eprintln!("no preopen {}", name);
    exit(1)
}

fn open(dir: u32, path: &str, oflags: u16, base: u64, inh: u64) -> (u16, u32) {
    let mut fd = 0u32;
    let e = unsafe { path_open(dir, 1, path.as_ptr(), path.len(), oflags, base, inh, 0, &mut fd) };
    (e, fd)
}

fn rights(fd: u32) -> (u8, u64, u64) {
    let mut st = [0u8; 24];
    if unsafe { fd_fdstat_get(fd, st.as_mut_ptr()) } != 0 {
        eprintln!("fdstat {} failed", fd);
        exit(1);
    }
    let base = u64::from_le_bytes(st[8..16].try_into().unwrap());
    let inh = u64::from_le_bytes(st[16..24].try_into().unwrap());
    (st[0], base, inh)
}

fn write(fd: u32, s: &str) -> u16 {
    let iov = Iov { buf: s.as_ptr(), len: s.len() };
    let mut n = 0usize;
    unsafe { fd_write(fd, &iov, 1, &mut n) }
}

fn read(fd: u32) -> (u16, String) {
    let mut buf = [0u8; 64];
    let iov = Iov { buf: buf.as_mut_ptr(), len: buf.len() };
    let mut n = 0usize;
    let e = unsafe { fd_read(fd, &iov, 1, &mut n) };
    (e, String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn has(r: u64, bit: u64) -> u8 {
    (r & bit != 0) as u8
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pre = preopen(&args[1]);
    let rights_change = args.get(3).map(String::as_str) != Some("adapted");

    // The `wasi` crate's start-up: the preopen again, with every right.
    let (e, dir) = open(pre, ".", O_DIRECTORY, ALL, ALL);
    check("reopen . with every right", e, 0);
    let (ty, base, inh) = rights(dir);
    println!("dir: type={} path_open={} readdir={} fd_read={} fd_write={} inherit_write={}",
             ty, has(base, PATH_OPEN), has(base, FD_READDIR), has(base, FD_READ),
             has(base, FD_WRITE), has(inh, FD_WRITE));
    let mut ents = [0u8; 256];
    let mut used = 0usize;
    check("readdir", unsafe { fd_readdir(dir, ents.as_mut_ptr(), ents.len(), 0, &mut used) }, 0);

    // A file beneath it, with every right: the file-only ones are kept.
    let (e, f) = open(dir, "raw.txt", O_CREAT | O_TRUNC, ALL, ALL);
    check("create raw.txt", e, 0);
    let (ty, base, _) = rights(f);
    println!("file: type={} fd_read={} fd_write={} readdir={}", ty, has(base, FD_READ),
             has(base, FD_WRITE), has(base, FD_READDIR));
    check("write", write(f, "hello raw\n"), 0);

    // Dropping FD_WRITE: writes are refused, and the right never comes back.
    if rights_change {
        check("drop fd_write", unsafe { fd_fdstat_set_rights(f, base & !FD_WRITE, 0) }, 0);
        check("write without the right", write(f, "more\n"), NOTCAPABLE);
        check("take fd_write back", unsafe { fd_fdstat_set_rights(f, base, 0) }, NOTCAPABLE);
    }
    let mut pos = 0u64;
    check("seek", unsafe { fd_seek(f, 0, 0, &mut pos) }, 0);

    // Renumbering onto another open fd: the rights travel with the file.
    let (e, g) = open(dir, "other.txt", O_CREAT, ALL, ALL);
    check("create other.txt", e, 0);
    check("renumber", unsafe { fd_renumber(f, g) }, 0);
    check("close the old number", unsafe { fd_close(f) }, 8);
    let (e, text) = read(g);
    check("read at the new number", e, 0);
    print!("read: {}", text);
    if rights_change {
        check("write at the new number", write(g, "x"), NOTCAPABLE);
    }
    check("close", unsafe { fd_close(g) }, 0);

    // A directory's rights drop too.
    let (_, base, inh) = rights(dir);
    if rights_change {
        check("drop path_create_directory",
              unsafe { fd_fdstat_set_rights(dir, base & !PATH_CREATE_DIRECTORY, inh) }, 0);
        check("mkdir without the right", unsafe { path_create_directory(dir, "sub".as_ptr(), 3) },
              NOTCAPABLE);
    }
    check("mkdir through the preopen", unsafe { path_create_directory(pre, "sub".as_ptr(), 3) }, 0);
    if rights_change {
        check("drop path_open", unsafe { fd_fdstat_set_rights(dir, base & !PATH_CREATE_DIRECTORY & !PATH_OPEN, inh) }, 0);
        check("open without the right", open(dir, "raw.txt", 0, FD_READ, 0).0, NOTCAPABLE);
    }
    check("close dir", unsafe { fd_close(dir) }, 0);

    // A read-only preopen: re-opening it is fine, writing beneath it is not.
    let ro = preopen(&args[2]);
    let (e, rodir) = open(ro, ".", O_DIRECTORY, ALL, ALL);
    check("reopen read-only . with every right", e, 0);
    check("create beneath it", open(rodir, "new.txt", O_CREAT, ALL, ALL).0, 69);
    check("open for writing beneath it", open(rodir, "greeting.txt", 0, ALL, ALL).0, 69);
    let (e, r) = open(rodir, "greeting.txt", 0, FD_READ, 0);
    check("open greeting.txt", e, 0);
    let (e, text) = read(r);
    check("read greeting.txt", e, 0);
    print!("read: {}", text);
    check("write greeting.txt", write(r, "x"), 69);
    if rights_change {
        check("take fd_write", unsafe { fd_fdstat_set_rights(r, ALL, 0) }, NOTCAPABLE);
    }
    println!("done");
}
