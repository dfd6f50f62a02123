//! Runs every `lit/**/*.mlir` test and compares its output with its snapshot
//! under `snapshots/` (see `rram_tests` for the file format).

use rram_tests::{lit_files, LitTest};

#[test]
fn lit() {
    let files = lit_files();
    assert!(!files.is_empty(), "no lit tests found under lit/");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let snapshot = LitTest::parse(path, &text).and_then(|test| test.check(&test.run()));
        match snapshot {
            Ok(snapshot) => {
                let name = path.strip_prefix("lit").unwrap().with_extension("").to_string_lossy().replace('/', "__");
                let result = std::panic::catch_unwind(|| {
                    insta::with_settings!({
                        snapshot_path => "snapshots",
                        prepend_module_to_snapshot => false,
                        input_file => path,
                        omit_expression => true,
                    }, {
                        insta::assert_snapshot!(name, snapshot);
                    });
                });
                if result.is_err() {
                    failures.push(format!("{}: output differs from its snapshot", path.display()));
                }
            }
            Err(message) => failures.push(format!("{}: {message}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{} of {} lit tests failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}
