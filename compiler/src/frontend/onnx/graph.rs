//! The order in which nodes are imported, and the structural errors found
//! while computing it: values defined twice, inputs nothing defines, cycles.

use super::proto::{GraphProto, NodeProto};
use super::{quoted, OnnxError};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// How a node is named in the IR and in errors: its name, or its first
/// output when the name is empty, or its position as a last resort.
pub(super) fn node_name(node: &NodeProto, index: usize) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else {
        match node.output.iter().find(|o| !o.is_empty()) {
            Some(output) => output.clone(),
            None => format!("#{index}"),
        }
    }
}

pub(super) fn node_error(file: &str, graph: &GraphProto, index: usize, message: String) -> OnnxError {
    let node = &graph.node[index];
    OnnxError::Node {
        file: file.to_string(),
        node: quoted(&node_name(node, index)),
        op_type: quoted(&node.op_type),
        message,
    }
}

/// The node indices in an order where every value is defined before it is
/// used; among nodes that are ready, the file's order is kept. Files are
/// meant to be sorted already, but need not be.
pub(super) fn topological_order(graph: &GraphProto, file: &str) -> Result<Vec<usize>, OnnxError> {
    let outside: HashSet<&str> =
        graph.input.iter().map(|i| i.name.as_str()).chain(graph.initializer.iter().map(|t| t.name.as_str())).collect();
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (index, node) in graph.node.iter().enumerate() {
        for output in node.output.iter().filter(|o| !o.is_empty()) {
            if outside.contains(output.as_str()) {
                let message = format!("output '{}' is already a graph input or initializer", quoted(output));
                return Err(node_error(file, graph, index, message));
            }
            if let Some(&other) = producer.get(output.as_str()) {
                let message = format!(
                    "output '{}' is also produced by node '{}'",
                    quoted(output),
                    quoted(&node_name(&graph.node[other], other))
                );
                return Err(node_error(file, graph, index, message));
            }
            producer.insert(output, index);
        }
    }

    let mut waiting_for = vec![0usize; graph.node.len()];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    for (index, node) in graph.node.iter().enumerate() {
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            if let Some(&from) = producer.get(input.as_str()) {
                waiting_for[index] += 1;
                consumers[from].push(index);
            } else if !outside.contains(input.as_str()) {
                let message = format!(
                    "input '{}' is not defined: no node, graph input or initializer produces it",
                    quoted(input)
                );
                return Err(node_error(file, graph, index, message));
            }
        }
    }

    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..graph.node.len()).filter(|&i| waiting_for[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(graph.node.len());
    while let Some(Reverse(index)) = ready.pop() {
        order.push(index);
        for &consumer in &consumers[index] {
            waiting_for[consumer] -= 1;
            if waiting_for[consumer] == 0 {
                ready.push(Reverse(consumer));
            }
        }
    }
    if order.len() == graph.node.len() {
        Ok(order)
    } else {
        Err(cycle_error(graph, file, &producer, &waiting_for))
    }
}

/// Names one cycle among the nodes left waiting. Every such node waits for
/// a producer that is itself waiting, so walking producers must come back
/// to a node already seen.
fn cycle_error(graph: &GraphProto, file: &str, producer: &HashMap<&str, usize>, waiting_for: &[usize]) -> OnnxError {
    let waiting = |index: usize| waiting_for[index] > 0;
    let mut path: Vec<usize> = Vec::new();
    let mut current = (0..graph.node.len()).find(|&i| waiting(i));
    while let Some(index) = current {
        if let Some(start) = path.iter().position(|&seen| seen == index) {
            path.drain(..start);
            break;
        }
        path.push(index);
        current = graph.node[index]
            .input
            .iter()
            .filter_map(|input| producer.get(input.as_str()).copied())
            .find(|&from| waiting(from));
    }
    // The walk went from consumers to producers; data flows the other way.
    // Start at the node that comes first in the file.
    path.reverse();
    if let Some(first) = path.iter().enumerate().min_by_key(|&(_, &node)| node).map(|(at, _)| at) {
        path.rotate_left(first);
    }
    if let Some(&first) = path.first() {
        path.push(first);
    }
    let steps: Vec<String> = path
        .iter()
        .map(|&i| format!("'{}' ({})", quoted(&node_name(&graph.node[i], i)), quoted(&graph.node[i].op_type)))
        .collect();
    OnnxError::Graph { file: file.to_string(), message: format!("the graph has a cycle: {}", steps.join(" -> ")) }
}
