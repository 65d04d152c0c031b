use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let vault = spore::load::load(std::path::Path::new(&dir), &Default::default());
    let t = Instant::now();
    let scans: Vec<_> = vault.notes.iter().map(|n| spore::index::scan::scan(&n.body)).collect();
    println!("scan (1 thread): {:?} {}", t.elapsed(), scans.len());
    let t = Instant::now();
    let v2 = vault.clone();
    println!("vault clone: {:?}", t.elapsed());
    let t = Instant::now();
    let index = spore::index::build(v2, Default::default());
    println!("index build: {:?}", t.elapsed());
    let t = Instant::now();
    let mut n = 0;
    for note in &index.notes { for l in &note.scan.links { let tgt = spore::syntax::target::LinkTarget::parse(&l.dest); if index.resolver.resolve(&tgt.file, &note.note.path).is_some() { n += 1; } } }
    println!("resolve all: {:?} {n}", t.elapsed());
}
