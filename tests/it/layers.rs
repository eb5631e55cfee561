//! The crate's layers as ARCHITECTURE.md states them ("From the bottom:
//! …"): every module is placed, none imports one above it or beside it
//! (peers share a layer only where the map lists them together and they do
//! not import each other both ways), so there is no import cycle. Read from
//! the source's `crate::` paths, comment lines aside.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, bottom first, as the map's paragraph lists them.
fn layers_of_the_map() -> Vec<Vec<String>> {
    let map =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let start = map
        .find("From the bottom:")
        .expect("the map states its layers")
        + 16;
    let end = start
        + map[start..]
            .find("`pub` is what")
            .expect("end of the layers");
    map[start..end]
        .split('·')
        .map(|group| {
            group
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|m| m.trim_end_matches(".rs").to_string())
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

/// module → (module it names, where), from every file under src/.
fn imports() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let module = rel
                .iter()
                .next()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let entry = out.entry(module.clone()).or_default();
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for (i, _) in line.match_indices("crate::") {
                    let name: String = line[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module {
                        entry.insert((name, format!("{}:{}", rel.display(), n + 1)));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_module_imports_one_above_it_or_beside_it() {
    let layers = layers_of_the_map();
    let level: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.iter().map(move |m| (m.as_str(), i)))
        .collect();
    let imports = imports();
    let unplaced: Vec<&String> = imports
        .keys()
        .filter(|m| !level.contains_key(m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules ARCHITECTURE.md does not place: {unplaced:?}"
    );
    let mut wrong = Vec::new();
    for (module, names) in &imports {
        let here = level[module.as_str()];
        for (name, at) in names {
            // A name that is no module (a macro, a re-export) is not an edge.
            let Some(&there) = level.get(name.as_str()) else {
                continue;
            };
            let beside_both_ways = there == here
                && imports
                    .get(name)
                    .is_some_and(|n| n.iter().any(|(m, _)| m == module));
            if there > here || beside_both_ways {
                wrong.push(format!("{module} → {name} ({at})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers of ARCHITECTURE.md:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    // The check's own parts, on a known edge: `commands` names `dispatch`
    // (a module below it), so the reader finds edges at all.
    let imports = imports();
    assert!(
        imports["commands"].iter().any(|(m, _)| m == "dispatch"),
        "{:?}",
        imports["commands"]
    );
    let layers = layers_of_the_map();
    let at = |m: &str| {
        layers
            .iter()
            .position(|g| g.iter().any(|x| x == m))
            .unwrap()
    };
    assert!(at("dispatch") < at("commands"));
    assert!(at("text") == 0 && at("main") == layers.len() - 1);
}
