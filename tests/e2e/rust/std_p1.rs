// std_p1.rs - an ordinary Rust std program for wasm32-wasi (tests/e2e/
// rust_p1.sh builds and runs it): arguments and environment, stdin to
// stdout and stderr, std::fs in the writable mount /w (create, write,
// append, read, rename, metadata, read_dir, a symlink the test made,
// remove) and the permission errors of the read-only mount /ro, clocks, a
// sleep, and its
// exit status from std::process::exit (3 at once when its first argument
// is "fail"). Every line it prints is asserted.
use std::fs;
use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {:?}", args);
    println!("GREETING={}", std::env::var("GREETING").unwrap_or_else(|_| "(unset)".into()));
    println!("HOME set: {}", std::env::var_os("HOME").is_some());
    if args.first().map(String::as_str) == Some("fail") {
        io::stdout().flush().unwrap();
        std::process::exit(3);
    }

    // stdin, line by line, to stdout; a note to stderr.
    let mut lines = 0;
    for line in io::stdin().lock().lines() {
        println!("stdin: {}", line.unwrap().to_uppercase());
        lines += 1;
    }
    eprintln!("read {} lines", lines);

    // std::fs in the writable mount.
    fs::write("/w/a.txt", "one\n").unwrap();
    let mut f = fs::OpenOptions::new().append(true).open("/w/a.txt").unwrap();
    f.write_all(b"two\n").unwrap();
    drop(f);
    println!("a.txt: {:?}", fs::read_to_string("/w/a.txt").unwrap());
    fs::rename("/w/a.txt", "/w/b.txt").unwrap();
    println!("a.txt exists: {}", fs::metadata("/w/a.txt").is_ok());
    let md = fs::metadata("/w/b.txt").unwrap();
    println!("b.txt: len={} file={} dir={}", md.len(), md.is_file(), md.is_dir());
    fs::create_dir_all("/w/d/e").unwrap();
    fs::write("/w/d/e/deep.txt", "deep").unwrap();
    // (creating symlinks is unstable in std: the test made /w/link -> b.txt)
    println!("link -> {}", fs::read_link("/w/link").unwrap().display());
    println!("via link: {:?}", fs::read_to_string("/w/link").unwrap());
    println!("link is symlink: {}", fs::symlink_metadata("/w/link").unwrap().file_type().is_symlink());
    let mut names: Vec<String> = fs::read_dir("/w")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("/w: {:?}", names);
    fs::remove_file("/w/link").unwrap();
    fs::remove_dir_all("/w/d").unwrap();
    println!("d exists: {}", fs::metadata("/w/d").is_ok());
    match fs::remove_dir("/w/nope") {
        Err(e) => println!("remove missing: {:?}", e.kind()),
        Ok(()) => println!("remove missing: succeeded"),
    }

    // The read-only mount: reading works, every change is refused.
    println!("ro read: {:?}", fs::read_to_string("/ro/greeting.txt").unwrap());
    for (what, r) in [
        ("write", fs::write("/ro/new.txt", "x")),
        ("append", fs::OpenOptions::new().append(true).open("/ro/greeting.txt").map(|_| ())),
        ("remove", fs::remove_file("/ro/greeting.txt")),
        ("rename", fs::rename("/ro/greeting.txt", "/ro/moved.txt")),
        ("mkdir", fs::create_dir("/ro/sub")),
    ] {
        match r {
            Err(e) => println!("ro {}: {}", what, e),
            Ok(()) => println!("ro {}: succeeded", what),
        }
    }
    println!("ro greeting still there: {}", fs::metadata("/ro/greeting.txt").is_ok());

    // Clocks and a sleep.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    println!("wall clock after 2020: {}", now > 1_577_836_800);
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(50));
    println!("slept >= 50ms: {}", start.elapsed() >= Duration::from_millis(50));

    std::process::exit(0);
}
