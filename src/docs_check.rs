//! For tests: a generated section of a docs file (between `<!-- NAME:start -->` and
//! `<!-- NAME:end -->`) must equal what the code generates; `SVCQ_BLESS=1 cargo
//! test --lib` rewrites it.

pub fn check_section(file: &str, name: &str, generated: &str) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let a = docs.find(&start).expect("start marker") + start.len();
    let b = docs.find(&end).expect("end marker");
    if docs[a..b] != *generated && std::env::var_os("SVCQ_BLESS").is_some() {
        std::fs::write(&path, format!("{}{generated}{}", &docs[..a], &docs[b..])).unwrap();
        return;
    }
    assert!(
        docs[a..b] == *generated,
        "{file}: the {name} section is out of date; run SVCQ_BLESS=1 cargo test --lib"
    );
}
