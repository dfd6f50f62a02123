//! The text form of one core's program (`core<N>.isa`) and of the initial
//! contents of shared memory (`memory.txt`); docs/isa.md is the reference.
//!
//! Both are read line by line, so that every error names its line and
//! column. Printing is canonical, and parsing what was printed gives back
//! the same program.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use super::{Affine, BinaryOp, Class, CoreProgram, Crossbar, Instr, LoopVar, MemoryInit, UnaryOp};

/// Why a text could not be read: one line, `file:line:column: message`,
/// where the column counts characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Deeper loop nests are refused: no program needs them, and without a
/// limit every recursive walk over a program (printing, dropping,
/// simulating) could overflow the stack on hostile input.
const MAX_LOOP_DEPTH: usize = 64;

/// Every mnemonic, in the order error messages list them.
const MNEMONICS: [&str; 18] = [
    "LOAD", "STORE", "MOV", "MVM", "ADD", "BIAS", "MAX", "RELU", "CLIP", "AVG", "REQUANT", "PUT", "CALL", "WAIT",
    "BARRIER", "LOOP", "END", "HALT",
];

/// Values per line of the memory file: short enough to read, long enough
/// that a feature map does not take a line per word.
const MEMORY_VALUES_PER_LINE: usize = 16;

/// Reads the program of one core; `source_name` (usually the path) starts
/// every error message.
pub fn parse_core(text: &str, source_name: &str) -> Result<CoreProgram, ParseError> {
    let mut reader = CoreReader::default();
    for line in lines(text) {
        reader.read_line(line).map_err(|fault| fault.in_file(source_name))?;
    }
    reader.finish(end_of(text)).map_err(|fault| fault.in_file(source_name))
}

/// The canonical text of `program`; `parse_core` reads it back unchanged.
pub fn print_core(program: &CoreProgram) -> String {
    CoreText(program).to_string()
}

/// Reads a shared-memory initialisation file: `s[<address>]: values...`.
pub fn parse_memory(text: &str, source_name: &str) -> Result<Vec<MemoryInit>, ParseError> {
    read_memory(text).map_err(|fault| fault.in_file(source_name))
}

/// The canonical text of `memory`; `parse_memory` reads it back unchanged.
pub fn print_memory(memory: &[MemoryInit]) -> String {
    MemoryText(memory).to_string()
}

// ---- positions and errors ----

/// An error before the file name is known.
struct Fault {
    line: usize,
    column: usize,
    message: String,
}

impl Fault {
    fn in_file(self, source_name: &str) -> ParseError {
        ParseError { file: source_name.to_string(), line: self.line, column: self.column, message: self.message }
    }
}

/// One line of the input, numbered from 1, without its `\n`.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    text: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.split('\n').enumerate().map(|(index, text)| Line { number: index + 1, text })
}

/// A part of one line that knows where it starts, so that errors can point at it.
#[derive(Clone, Copy)]
struct Piece<'a> {
    line: Line<'a>,
    text: &'a str,
    /// Byte offset of `text` in `line.text`.
    offset: usize,
}

impl<'a> Piece<'a> {
    fn fault(&self, message: impl Into<String>) -> Fault {
        // Counts bytes that start a character, so that no offset can panic.
        let before = &self.line.text.as_bytes()[..self.offset.min(self.line.text.len())];
        let column = 1 + before.iter().filter(|&&byte| (byte & 0xC0) != 0x80).count();
        Fault { line: self.line.number, column, message: message.into() }
    }

    /// `text[start..end]`; both must be character boundaries.
    fn slice(&self, start: usize, end: usize) -> Piece<'a> {
        Piece { line: self.line, text: &self.text[start..end], offset: self.offset + start }
    }

    fn from(&self, start: usize) -> Piece<'a> {
        self.slice(start, self.text.len())
    }

    fn trim(&self) -> Piece<'a> {
        let start = self.text.len() - self.text.trim_start().len();
        let end = self.text.trim_end().len().max(start);
        self.slice(start, end)
    }

    /// The pieces between whitespace.
    fn words(&self) -> Vec<Piece<'a>> {
        let mut words = Vec::new();
        let mut start = None;
        for (index, character) in self.text.char_indices() {
            match (character.is_whitespace(), start) {
                (true, Some(begin)) => {
                    words.push(self.slice(begin, index));
                    start = None;
                }
                (false, None) => start = Some(index),
                _ => {}
            }
        }
        if let Some(begin) = start {
            words.push(self.from(begin));
        }
        words
    }

    /// The first word and what follows it, trimmed.
    fn split_first_word(&self) -> (Piece<'a>, Piece<'a>) {
        let end = self.text.find(char::is_whitespace).unwrap_or(self.text.len());
        (self.slice(0, end), self.from(end).trim())
    }

    /// The comma-separated operands, trimmed; none for an empty piece.
    fn operands(&self) -> Vec<Piece<'a>> {
        if self.text.is_empty() {
            return Vec::new();
        }
        let mut operands = Vec::new();
        let mut start = 0;
        for (index, _) in self.text.match_indices(',') {
            operands.push(self.slice(start, index).trim());
            start = index + 1;
        }
        operands.push(self.from(start).trim());
        operands
    }
}

/// The code of a line: without its comment, trimmed.
fn code_of(line: Line<'_>) -> Piece<'_> {
    let end = line.text.find([';', '#']).unwrap_or(line.text.len());
    Piece { line, text: &line.text[..end], offset: 0 }.trim()
}

/// An empty piece just past the last character of `text`.
fn end_of(text: &str) -> Piece<'_> {
    let last = lines(text).last().unwrap_or(Line { number: 1, text: "" });
    Piece { line: last, text: "", offset: last.text.len() }
}

/// How a message shows a piece of the input: quoted and cut short, on one line.
fn found(text: &str) -> String {
    const SHOWN_CHARACTERS: usize = 40;
    if text.is_empty() {
        return "nothing".to_string();
    }
    let visible = |character: char| {
        if character.is_control() || (character.is_whitespace() && character != ' ') {
            char::REPLACEMENT_CHARACTER
        } else {
            character
        }
    };
    let mut shown: String = text.chars().take(SHOWN_CHARACTERS).map(visible).collect();
    if text.chars().nth(SHOWN_CHARACTERS).is_some() {
        shown.push_str("...");
    }
    format!("`{shown}`")
}

/// `1 row`, `2 rows`.
fn quantity(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

// ---- numbers and names ----

/// A decimal integer in `min..=max` for the operand described by `what`
/// (e.g. "the word count").
fn bounded(piece: Piece, what: &str, min: u64, max: u64) -> Result<u64, Fault> {
    let text = piece.text;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(piece.fault(format!("expected {what}, found {}", found(text))));
    }
    // More digits than a u64 holds is simply too large.
    let magnitude = digits.parse::<u64>().ok();
    if (negative && magnitude != Some(0)) || magnitude.is_some_and(|value| value < min) {
        let requirement = if min == 0 { "must not be negative" } else { "must be positive" };
        return Err(piece.fault(format!("{what} {requirement}, got {text}")));
    }
    magnitude
        .filter(|&value| value <= max)
        .ok_or_else(|| piece.fault(format!("{what} is too large: {text} (at most {max})")))
}

fn non_negative_u32(piece: Piece, what: &str) -> Result<u32, Fault> {
    bounded(piece, what, 0, u64::from(u32::MAX)).map(|value| value as u32)
}

fn positive_u32(piece: Piece, what: &str) -> Result<u32, Fault> {
    bounded(piece, what, 1, u64::from(u32::MAX)).map(|value| value as u32)
}

/// A float in Rust syntax (also `inf`, `-inf`); NaN and literals beyond the
/// type's range are refused, since neither can be meant.
fn number<T: FromStr + Copy + Into<f64>>(piece: Piece, what: &str) -> Result<T, Fault> {
    let value: T = piece
        .text
        .parse()
        .map_err(|_| piece.fault(format!("expected {what} (a number), found {}", found(piece.text))))?;
    let wide: f64 = value.into();
    if wide.is_nan() {
        return Err(piece.fault(format!("{what} must not be NaN")));
    }
    if wide.is_infinite() && !piece.text.to_ascii_lowercase().contains("inf") {
        let bits = 8 * std::mem::size_of::<T>();
        return Err(piece.fault(format!("{what} is out of range of a {bits}-bit float: {}", piece.text)));
    }
    Ok(value)
}

fn is_identifier_start(character: char) -> bool {
    character.is_ascii_alphabetic() || character == '_'
}

fn is_identifier_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_'
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(is_identifier_start) && text.chars().all(is_identifier_char)
}

/// Whether a line of code is a row of numbers rather than an instruction or
/// a directive (no mnemonic starts like a number).
fn starts_with_number(code: &str) -> bool {
    let mut characters = code.chars();
    match characters.next() {
        Some(first) if first.is_ascii_digit() || first == '+' || first == '-' => true,
        Some('.') => characters.next().is_some_and(|second| second.is_ascii_digit()),
        _ => {
            let word = code.split(char::is_whitespace).next().unwrap_or("").to_ascii_lowercase();
            matches!(word.as_str(), "inf" | "infinity" | "nan")
        }
    }
}

/// Strips a one-letter operand prefix such as `x` or `l[`, in either case.
fn strip_prefix_ignoring_case<'a>(piece: Piece<'a>, letter: char, then: &str) -> Option<Piece<'a>> {
    let mut characters = piece.text.chars();
    let first = characters.next()?;
    (first.eq_ignore_ascii_case(&letter) && characters.as_str().starts_with(then))
        .then(|| piece.from(first.len_utf8() + then.len()))
}

// ---- affine expressions ----

/// Walks an affine expression character by character.
struct Cursor<'a> {
    piece: Piece<'a>,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> Piece<'a> {
        self.piece.from(self.position)
    }

    fn skip_spaces(&mut self) {
        self.position = self.piece.text.len() - self.rest().text.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.rest().text.chars().next()
    }

    fn eat(&mut self, expected: char) -> bool {
        self.skip_spaces();
        let matched = self.peek() == Some(expected);
        if matched {
            self.position += expected.len_utf8();
        }
        matched
    }

    fn take_while(&mut self, accept: impl Fn(char) -> bool) -> Piece<'a> {
        let rest = self.rest();
        let length = rest.text.find(|character| !accept(character)).unwrap_or(rest.text.len());
        self.position += length;
        rest.slice(0, length)
    }

    /// What a message shows as found at the cursor: the next token.
    fn next_token(&self) -> String {
        let rest = self.rest().text;
        let first = rest.chars().next().map_or(0, char::len_utf8);
        let length = rest.find(|character: char| !is_identifier_char(character)).unwrap_or(rest.len()).max(first);
        found(&rest[..length])
    }
}

/// `[+|-] term {(+|-) term}` where a term is `k`, `v`, `k*v` or `v*k`, `v`
/// the variable of an enclosing loop. Returns the normal form: terms in
/// the order their variables first appear, combined, zero terms dropped.
fn affine(piece: Piece, scope: &[OpenLoop]) -> Result<Affine, Fault> {
    let mut cursor = Cursor { piece, position: 0 };
    // Wide enough that no sum of terms a line can hold overflows.
    let mut constant: i128 = 0;
    let mut terms: Vec<(LoopVar, i128)> = Vec::new();
    let mut sign: i128 = if cursor.eat('-') {
        -1
    } else {
        cursor.eat('+');
        1
    };
    loop {
        let (coefficient, variable) = term(&mut cursor, scope)?;
        match variable {
            None => constant += sign * coefficient,
            Some(name) => match terms.iter_mut().find(|(known, _)| *known == name) {
                Some((_, sum)) => *sum += sign * coefficient,
                None => terms.push((name, sign * coefficient)),
            },
        }
        cursor.skip_spaces();
        sign = match cursor.peek() {
            None => break,
            Some('+') => 1,
            Some('-') => -1,
            Some(_) => {
                let message = format!("expected `+`, `-` or the end of the expression, found {}", cursor.next_token());
                return Err(cursor.rest().fault(message));
            }
        };
        cursor.position += 1;
    }
    let out_of_range = || piece.fault(format!("{} does not fit in a 64-bit integer", found(piece.text)));
    let mut normal = Affine::constant(i64::try_from(constant).map_err(|_| out_of_range())?);
    for (name, coefficient) in terms {
        normal = normal.plus(&name, i64::try_from(coefficient).map_err(|_| out_of_range())?);
    }
    Ok(normal)
}

/// One term: its coefficient, and its variable unless it is a constant.
fn term(cursor: &mut Cursor, scope: &[OpenLoop]) -> Result<(i128, Option<LoopVar>), Fault> {
    cursor.skip_spaces();
    match cursor.peek() {
        Some(character) if character.is_ascii_digit() => {
            let coefficient = integer_literal(cursor)?;
            if !cursor.eat('*') {
                return Ok((coefficient, None));
            }
            cursor.skip_spaces();
            if !cursor.peek().is_some_and(is_identifier_start) {
                let message = format!("expected a loop variable after `*`, found {}", cursor.next_token());
                return Err(cursor.rest().fault(message));
            }
            Ok((coefficient, Some(loop_variable(cursor, scope)?)))
        }
        Some(character) if is_identifier_start(character) => {
            let variable = loop_variable(cursor, scope)?;
            if !cursor.eat('*') {
                return Ok((1, Some(variable)));
            }
            cursor.skip_spaces();
            if !cursor.peek().is_some_and(|character| character.is_ascii_digit()) {
                let message = format!("expected an integer after `*`, found {}", cursor.next_token());
                return Err(cursor.rest().fault(message));
            }
            Ok((integer_literal(cursor)?, Some(variable)))
        }
        _ => {
            let message = format!("expected an integer or a loop variable, found {}", cursor.next_token());
            Err(cursor.rest().fault(message))
        }
    }
}

fn integer_literal(cursor: &mut Cursor) -> Result<i128, Fault> {
    let digits = cursor.take_while(|character| character.is_ascii_digit());
    let value =
        digits.text.parse::<u64>().map_err(|_| digits.fault(format!("integer {} is too large", found(digits.text))))?;
    Ok(i128::from(value))
}

fn loop_variable(cursor: &mut Cursor, scope: &[OpenLoop]) -> Result<LoopVar, Fault> {
    let name = cursor.take_while(is_identifier_char);
    if scope.iter().any(|open| open.var == name.text) {
        return Ok(name.text.to_string());
    }
    let enclosing: Vec<&str> = scope.iter().map(|open| open.var.as_str()).collect();
    let context = if enclosing.is_empty() {
        "no loop encloses it".to_string()
    } else {
        format!("loops: {}", enclosing.join(", "))
    };
    Err(name.fault(format!("unknown loop variable `{}` ({context})", name.text)))
}

// ---- core programs ----

/// A `LOOP` whose `END` has not come yet.
struct OpenLoop<'a> {
    var: LoopVar,
    count: u32,
    /// The mnemonic, to point at when the `END` never comes.
    at: Piece<'a>,
    /// The instructions around the loop, resumed at its `END`.
    outer: Vec<Instr>,
}

/// The last crossbar declared, while the weight rows after it are read.
struct PendingCrossbar<'a> {
    crossbar: Crossbar,
    /// The `RxC` of its `.xbar` line, to point at when rows are missing.
    size: Piece<'a>,
    rows_read: u32,
    values: Vec<f64>,
}

#[derive(Default)]
struct CoreReader<'a> {
    /// The core number and the line of `.core`.
    core: Option<(u32, usize)>,
    crossbars: Vec<Crossbar>,
    /// The line of `.xbar` by crossbar index.
    declared_at: HashMap<u32, usize>,
    pending: Option<PendingCrossbar<'a>>,
    seen_instruction: bool,
    body: Vec<Instr>,
    loops: Vec<OpenLoop<'a>>,
}

impl<'a> CoreReader<'a> {
    fn read_line(&mut self, line: Line<'a>) -> Result<(), Fault> {
        let code = code_of(line);
        if code.text.is_empty() {
            return Ok(());
        }
        let Some((_, core_line)) = self.core else {
            return self.first_line(code);
        };
        if starts_with_number(code.text) {
            return self.weight_row(code);
        }
        self.end_crossbar()?;
        if code.text.starts_with('.') {
            self.directive(code, core_line)
        } else {
            self.instruction(code)
        }
    }

    fn finish(mut self, end: Piece) -> Result<CoreProgram, Fault> {
        let Some((core, _)) = self.core else {
            return Err(end.fault("empty program: a core program starts with `.core <number>`"));
        };
        self.end_crossbar()?;
        if let Some(open) = self.loops.last() {
            return Err(open.at.fault(format!("`LOOP {}` is never closed: missing `END`", open.var)));
        }
        Ok(CoreProgram { core, crossbars: self.crossbars, body: self.body })
    }

    fn first_line(&mut self, code: Piece) -> Result<(), Fault> {
        let (name, rest) = code.split_first_word();
        if !name.text.eq_ignore_ascii_case(".core") {
            return Err(code.fault("a core program starts with `.core <number>`"));
        }
        let core = match rest.words()[..] {
            [number] => non_negative_u32(number, "the core number")?,
            [] => return Err(name.fault("`.core` needs the core's number, e.g. `.core 0`")),
            [_, extra, ..] => {
                return Err(extra.fault(format!("unexpected {} after the core number", found(extra.text))))
            }
        };
        self.core = Some((core, code.line.number));
        Ok(())
    }

    fn directive(&mut self, code: Piece<'a>, core_line: usize) -> Result<(), Fault> {
        let (name, rest) = code.split_first_word();
        match name.text.to_ascii_lowercase().as_str() {
            ".xbar" => self.crossbar(name, rest),
            ".core" => Err(name.fault(format!("`.core` is given twice (first at line {core_line})"))),
            _ => Err(name.fault(format!("unknown directive {} (expected `.core` or `.xbar`)", found(name.text)))),
        }
    }

    fn crossbar(&mut self, name: Piece, rest: Piece<'a>) -> Result<(), Fault> {
        if self.seen_instruction {
            return Err(name.fault("`.xbar` must come before the first instruction"));
        }
        let (index, size) = match rest.words()[..] {
            [index, size] => (index, size),
            [_, _, extra, ..] => {
                return Err(extra.fault(format!("unexpected {} after the crossbar's size", found(extra.text))))
            }
            _ => return Err(name.fault("`.xbar` needs a crossbar index and a size, e.g. `.xbar 0 128x128`")),
        };
        let index_value = non_negative_u32(index, "the crossbar index")?;
        if let Some(first) = self.declared_at.get(&index_value) {
            return Err(index.fault(format!("crossbar {index_value} is declared twice (first at line {first})")));
        }
        let Some(times) = size.text.find(['x', 'X']) else {
            return Err(size.fault(format!("expected the crossbar's size `<rows>x<cols>`, found {}", found(size.text))));
        };
        let rows = positive_u32(size.slice(0, times), "the number of rows")?;
        let cols = positive_u32(size.from(times + 1), "the number of columns")?;
        let crossbar = Crossbar { index: index_value, rows, cols, weights: None };
        self.pending = Some(PendingCrossbar { crossbar, size, rows_read: 0, values: Vec::new() });
        Ok(())
    }

    fn weight_row(&mut self, code: Piece) -> Result<(), Fault> {
        let Some(pending) = &mut self.pending else {
            return Err(code.fault("a row of weights must follow a `.xbar` line or another row"));
        };
        let Crossbar { index, rows, cols, .. } = pending.crossbar;
        if pending.rows_read == rows {
            let message = format!("too many rows of weights: crossbar {index} has {}", quantity(rows as usize, "row"));
            return Err(code.fault(message));
        }
        let values = code.words();
        if values.len() != cols as usize {
            let at = values.get(cols as usize).unwrap_or(&code);
            let message = format!(
                "crossbar {index} has {} but this row has {}",
                quantity(cols as usize, "column"),
                quantity(values.len(), "value")
            );
            return Err(at.fault(message));
        }
        for value in values {
            pending.values.push(number::<f64>(value, "a weight")?);
        }
        pending.rows_read += 1;
        Ok(())
    }

    /// Closes the last `.xbar` with its weight rows: all of them or none.
    fn end_crossbar(&mut self) -> Result<(), Fault> {
        let Some(PendingCrossbar { mut crossbar, size, rows_read, values }) = self.pending.take() else {
            return Ok(());
        };
        if rows_read == crossbar.rows {
            crossbar.weights = Some(values);
        } else if rows_read > 0 {
            let message = format!(
                "crossbar {} is {}x{} but has weights for only {rows_read} of its {} rows: give all rows or none",
                crossbar.index, crossbar.rows, crossbar.cols, crossbar.rows
            );
            return Err(size.fault(message));
        }
        self.declared_at.insert(crossbar.index, size.line.number);
        self.crossbars.push(crossbar);
        Ok(())
    }

    fn instruction(&mut self, code: Piece<'a>) -> Result<(), Fault> {
        self.seen_instruction = true;
        let length = code.text.find(|character| !is_identifier_char(character)).unwrap_or(code.text.len());
        let (mnemonic, operands) = (code.slice(0, length), code.from(length).trim().operands());
        if mnemonic.text.is_empty() {
            let (word, _) = code.split_first_word();
            return Err(code.fault(format!("expected an instruction, found {}", found(word.text))));
        }
        let name = mnemonic.text.to_ascii_uppercase();
        let instr = match name.as_str() {
            "LOAD" => {
                let [local, shared, n, class] = arity(&name, mnemonic, operands, ["dst", "src", "n", "class"])?;
                Instr::Load {
                    local: self.address(local, 'l')?,
                    shared: self.address(shared, 's')?,
                    n: word_count(n)?,
                    class: class_of(class)?,
                }
            }
            "STORE" => {
                let [shared, local, n, class] = arity(&name, mnemonic, operands, ["dst", "src", "n", "class"])?;
                Instr::Store {
                    shared: self.address(shared, 's')?,
                    local: self.address(local, 'l')?,
                    n: word_count(n)?,
                    class: class_of(class)?,
                }
            }
            "MOV" => {
                let [dst, src, n] = arity(&name, mnemonic, operands, ["dst", "src", "n"])?;
                Instr::Mov { dst: self.address(dst, 'l')?, src: self.address(src, 'l')?, n: word_count(n)? }
            }
            "MVM" => {
                let [xbar, dst, src] = arity(&name, mnemonic, operands, ["crossbar", "dst", "src"])?;
                Instr::Mvm {
                    xbar: self.declared_crossbar(xbar)?,
                    dst: self.address(dst, 'l')?,
                    src: self.address(src, 'l')?,
                }
            }
            "ADD" => self.binary(BinaryOp::Add, &name, mnemonic, operands)?,
            "BIAS" => self.binary(BinaryOp::Bias, &name, mnemonic, operands)?,
            "MAX" => self.binary(BinaryOp::Max, &name, mnemonic, operands)?,
            "RELU" => {
                let [dst, a, n] = arity(&name, mnemonic, operands, ["dst", "a", "n"])?;
                self.unary(UnaryOp::Relu, dst, a, n)?
            }
            "CLIP" => {
                let [dst, a, n, lo, hi] = arity(&name, mnemonic, operands, ["dst", "a", "n", "lo", "hi"])?;
                let (lower, upper) = (number::<f32>(lo, "the lower bound")?, number::<f32>(hi, "the upper bound")?);
                if lower > upper {
                    return Err(lo.fault(format!("the lower bound {} is above the upper bound {}", lo.text, hi.text)));
                }
                self.unary(UnaryOp::Clip { lo: lower, hi: upper }, dst, a, n)?
            }
            "AVG" => {
                let [dst, a, n, count] = arity(&name, mnemonic, operands, ["dst", "a", "n", "count"])?;
                self.unary(UnaryOp::Avg { count: positive_u32(count, "the AVG count")? }, dst, a, n)?
            }
            "REQUANT" => {
                let [dst, a, n, shift] = arity(&name, mnemonic, operands, ["dst", "a", "n", "shift"])?;
                self.unary(UnaryOp::Requant { shift: non_negative_u32(shift, "the REQUANT shift")? }, dst, a, n)?
            }
            "PUT" => {
                let [core, dst, src, n, class, signal] =
                    arity(&name, mnemonic, operands, ["core", "dst", "src", "n", "class", "signal"])?;
                Instr::Put {
                    core: core_operand(core)?,
                    dst: self.address(dst, 'l')?,
                    src: self.address(src, 'l')?,
                    n: word_count(n)?,
                    class: class_of(class)?,
                    signal: affine(signal, &self.loops)?,
                }
            }
            // The register is written only when it is not register 0.
            "CALL" if operands.len() == 3 => {
                let [core, register, value] = arity(&name, mnemonic, operands, ["core", "register", "value"])?;
                let (core, register) = (core_operand(core)?, register_operand(register)?);
                Instr::Call { core, register, value: affine(value, &self.loops)? }
            }
            "CALL" => {
                let [core, value] = arity(&name, mnemonic, operands, ["core", "value"])?;
                Instr::Call { core: core_operand(core)?, register: 0, value: affine(value, &self.loops)? }
            }
            "WAIT" if operands.len() == 2 => {
                let [register, value] = arity(&name, mnemonic, operands, ["register", "value"])?;
                Instr::Wait { register: register_operand(register)?, value: affine(value, &self.loops)? }
            }
            "WAIT" => {
                let [value] = arity(&name, mnemonic, operands, ["value"])?;
                Instr::Wait { register: 0, value: affine(value, &self.loops)? }
            }
            "BARRIER" => {
                let [id] = arity(&name, mnemonic, operands, ["id"])?;
                Instr::Barrier { id: non_negative_u32(id, "the barrier id")? }
            }
            "HALT" => {
                let [] = arity(&name, mnemonic, operands, [])?;
                Instr::Halt
            }
            "LOOP" => {
                let [var, count] = arity(&name, mnemonic, operands, ["var", "count"])?;
                return self.open_loop(mnemonic, var, count);
            }
            "END" => {
                let [] = arity(&name, mnemonic, operands, [])?;
                return self.close_loop(mnemonic);
            }
            _ => {
                let message =
                    format!("unknown instruction {} (instructions: {})", found(mnemonic.text), MNEMONICS.join(", "));
                return Err(mnemonic.fault(message));
            }
        };
        self.body.push(instr);
        Ok(())
    }

    fn binary(&self, op: BinaryOp, name: &str, mnemonic: Piece, operands: Vec<Piece>) -> Result<Instr, Fault> {
        let [dst, a, b, n] = arity(name, mnemonic, operands, ["dst", "a", "b", "n"])?;
        Ok(Instr::Binary {
            op,
            dst: self.address(dst, 'l')?,
            a: self.address(a, 'l')?,
            b: self.address(b, 'l')?,
            n: word_count(n)?,
        })
    }

    fn unary(&self, op: UnaryOp, dst: Piece, a: Piece, n: Piece) -> Result<Instr, Fault> {
        Ok(Instr::Unary { op, dst: self.address(dst, 'l')?, a: self.address(a, 'l')?, n: word_count(n)? })
    }

    /// `l[expr]` (local, `space` = 'l') or `s[expr]` (shared, 's').
    fn address(&self, piece: Piece, space: char) -> Result<Affine, Fault> {
        let kind = if space == 'l' { "local" } else { "shared" };
        let Some(inside) = strip_prefix_ignoring_case(piece, space, "[") else {
            return Err(piece.fault(format!("expected a {kind} address `{space}[...]`, found {}", found(piece.text))));
        };
        let Some(close) = inside.text.find(']') else {
            return Err(piece.slice(1, 2).fault("missing `]` to close the address"));
        };
        let after = inside.from(close + 1);
        if !after.text.is_empty() {
            return Err(after.fault(format!("unexpected {} after the address", found(after.text))));
        }
        let expression = inside.slice(0, close).trim();
        if expression.text.is_empty() {
            return Err(expression.fault("empty address: expected an expression such as `64*p+8`"));
        }
        affine(expression, &self.loops)
    }

    fn declared_crossbar(&self, piece: Piece) -> Result<u32, Fault> {
        let Some(digits) = strip_prefix_ignoring_case(piece, 'x', "") else {
            return Err(piece.fault(format!("expected a crossbar `x<index>`, found {}", found(piece.text))));
        };
        let index = non_negative_u32(digits, "the crossbar index")?;
        if !self.declared_at.contains_key(&index) {
            return Err(piece.fault(format!("crossbar {index} is not declared (no `.xbar {index}` line)")));
        }
        Ok(index)
    }

    fn open_loop(&mut self, mnemonic: Piece<'a>, var: Piece, count: Piece) -> Result<(), Fault> {
        if !is_identifier(var.text) {
            return Err(var.fault(format!("expected a loop variable name, found {}", found(var.text))));
        }
        if let Some(outer) = self.loops.iter().find(|open| open.var == var.text) {
            let line = outer.at.line.number;
            return Err(var.fault(format!("loop variable `{}` is already used by the loop at line {line}", var.text)));
        }
        if self.loops.len() == MAX_LOOP_DEPTH {
            return Err(mnemonic.fault(format!("loops nest deeper than {MAX_LOOP_DEPTH} levels")));
        }
        let count = non_negative_u32(count, "the loop count")?;
        let outer = std::mem::take(&mut self.body);
        self.loops.push(OpenLoop { var: var.text.to_string(), count, at: mnemonic, outer });
        Ok(())
    }

    fn close_loop(&mut self, mnemonic: Piece) -> Result<(), Fault> {
        let Some(open) = self.loops.pop() else {
            return Err(mnemonic.fault("`END` without a matching `LOOP`"));
        };
        let body = std::mem::replace(&mut self.body, open.outer);
        self.body.push(Instr::Loop { var: open.var, count: open.count, body });
        Ok(())
    }
}

/// The operands of `mnemonic` as an array, or an error naming them.
fn arity<'a, const N: usize>(
    name: &str,
    mnemonic: Piece,
    operands: Vec<Piece<'a>>,
    names: [&str; N],
) -> Result<[Piece<'a>; N], Fault> {
    if operands.len() == N + 1 && operands[N].text.is_empty() {
        return Err(operands[N].fault(format!("unexpected `,` after the last operand of `{name}`")));
    }
    let operands: [Piece<'a>; N] = operands.try_into().map_err(|operands: Vec<Piece>| {
        let expected = match N {
            0 => "no operands".to_string(),
            1 => format!("1 operand ({})", names.join(", ")),
            _ => format!("{N} operands ({})", names.join(", ")),
        };
        let at = operands.get(N).unwrap_or(&mnemonic);
        at.fault(format!("`{name}` takes {expected}, found {}", operands.len()))
    })?;
    if let Some(position) = operands.iter().position(|operand| operand.text.is_empty()) {
        return Err(operands[position].fault(format!("missing operand {} of `{name}`", names[position])));
    }
    Ok(operands)
}

fn word_count(piece: Piece) -> Result<u32, Fault> {
    positive_u32(piece, "the word count")
}

fn class_of(piece: Piece) -> Result<Class, Fault> {
    Class::ALL.into_iter().find(|class| class.name().eq_ignore_ascii_case(piece.text)).ok_or_else(|| {
        piece.fault(format!("unknown transfer class {} (expected input, partial, output or sync)", found(piece.text)))
    })
}

/// A sequence register `r<number>`.
fn register_operand(piece: Piece) -> Result<u32, Fault> {
    let Some(digits) = strip_prefix_ignoring_case(piece, 'r', "") else {
        return Err(piece.fault(format!("expected a sequence register `r<number>`, found {}", found(piece.text))));
    };
    non_negative_u32(digits, "the register number")
}

fn core_operand(piece: Piece) -> Result<u32, Fault> {
    let Some(digits) = strip_prefix_ignoring_case(piece, 'c', "") else {
        return Err(piece.fault(format!("expected a core `c<number>`, found {}", found(piece.text))));
    };
    non_negative_u32(digits, "the core number")
}

// ---- printing ----

/// A float as the shortest text that reads back as the same value, without
/// a trailing `.0` (`2`, `0.25`, `1e-7`, `-inf`).
struct Float<T>(T);

impl<T: fmt::Debug> fmt::Display for Float<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:?}", self.0);
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

struct CoreText<'a>(&'a CoreProgram);

impl fmt::Display for CoreText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = self.0;
        writeln!(f, ".core {}", program.core)?;
        for crossbar in &program.crossbars {
            writeln!(f, ".xbar {} {}x{}", crossbar.index, crossbar.rows, crossbar.cols)?;
            let Some(weights) = &crossbar.weights else { continue };
            // `max(1)`: an invalid zero-width crossbar must not make the printer panic.
            for row in weights.chunks(crossbar.cols.max(1) as usize) {
                f.write_str(" ")?;
                for value in row {
                    write!(f, " {}", Float(*value))?;
                }
                writeln!(f)?;
            }
        }
        write_body(f, &program.body, 0)
    }
}

fn write_body(f: &mut fmt::Formatter<'_>, body: &[Instr], depth: usize) -> fmt::Result {
    for instr in body {
        let indent = 2 * depth;
        writeln!(f, "{:indent$}{}", "", InstrLine(instr))?;
        if let Instr::Loop { body, .. } = instr {
            write_body(f, body, depth + 1)?;
            writeln!(f, "{:indent$}END", "")?;
        }
    }
    Ok(())
}

/// Each instruction's own line, unindented, in the pre-order the simulator
/// numbers instructions by (a loop's line is its `LOOP` line).
pub fn instruction_lines(body: &[Instr]) -> Vec<String> {
    fn walk(body: &[Instr], lines: &mut Vec<String>) {
        for instr in body {
            lines.push(InstrLine(instr).to_string());
            if let Instr::Loop { body, .. } = instr {
                walk(body, lines);
            }
        }
    }
    let mut lines = Vec::new();
    walk(body, &mut lines);
    lines
}

/// One instruction's line: a loop's header without its body.
struct InstrLine<'a>(&'a Instr);

impl fmt::Display for InstrLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Instr::Load { local, shared, n, class } => {
                write!(f, "LOAD l[{local}], s[{shared}], {n}, {}", class.name())
            }
            Instr::Store { shared, local, n, class } => {
                write!(f, "STORE s[{shared}], l[{local}], {n}, {}", class.name())
            }
            Instr::Mov { dst, src, n } => write!(f, "MOV l[{dst}], l[{src}], {n}"),
            Instr::Mvm { xbar, dst, src } => write!(f, "MVM x{xbar}, l[{dst}], l[{src}]"),
            Instr::Binary { op, dst, a, b, n } => {
                let name = match op {
                    BinaryOp::Add => "ADD",
                    BinaryOp::Bias => "BIAS",
                    BinaryOp::Max => "MAX",
                };
                write!(f, "{name} l[{dst}], l[{a}], l[{b}], {n}")
            }
            Instr::Unary { op: UnaryOp::Relu, dst, a, n } => write!(f, "RELU l[{dst}], l[{a}], {n}"),
            Instr::Unary { op: UnaryOp::Clip { lo, hi }, dst, a, n } => {
                write!(f, "CLIP l[{dst}], l[{a}], {n}, {}, {}", Float(*lo), Float(*hi))
            }
            Instr::Unary { op: UnaryOp::Avg { count }, dst, a, n } => write!(f, "AVG l[{dst}], l[{a}], {n}, {count}"),
            Instr::Unary { op: UnaryOp::Requant { shift }, dst, a, n } => {
                write!(f, "REQUANT l[{dst}], l[{a}], {n}, {shift}")
            }
            Instr::Put { core, dst, src, n, class, signal } => {
                write!(f, "PUT c{core}, l[{dst}], l[{src}], {n}, {}, {signal}", class.name())
            }
            Instr::Call { core, register: 0, value } => write!(f, "CALL c{core}, {value}"),
            Instr::Call { core, register, value } => write!(f, "CALL c{core}, r{register}, {value}"),
            Instr::Wait { register: 0, value } => write!(f, "WAIT {value}"),
            Instr::Wait { register, value } => write!(f, "WAIT r{register}, {value}"),
            Instr::Barrier { id } => write!(f, "BARRIER {id}"),
            Instr::Halt => write!(f, "HALT"),
            Instr::Loop { var, count, .. } => write!(f, "LOOP {var}, {count}"),
        }
    }
}

// ---- shared memory ----

/// One `s[<address>]:` block and where it starts, for errors about it as a whole.
struct Block<'a> {
    init: MemoryInit,
    start: Piece<'a>,
}

fn read_memory(text: &str) -> Result<Vec<MemoryInit>, Fault> {
    let mut blocks: Vec<Block> = Vec::new();
    for line in lines(text) {
        let code = code_of(line);
        if code.text.is_empty() {
            continue;
        }
        if line.text.starts_with(char::is_whitespace) {
            if strip_prefix_ignoring_case(code, 's', "[").is_some() {
                return Err(code.fault("`s[<address>]:` must start at the beginning of its line"));
            }
            let Some(block) = blocks.last_mut() else {
                return Err(code.fault("values must follow an `s[<address>]:` line"));
            };
            read_values(code, &mut block.init.values)?;
        } else {
            check_not_empty(blocks.last())?;
            let (address, rest) = memory_block_start(code)?;
            let mut values = Vec::new();
            read_values(rest, &mut values)?;
            blocks.push(Block { init: MemoryInit { address, values }, start: code });
        }
    }
    check_not_empty(blocks.last())?;
    check_disjoint(&blocks)?;
    Ok(blocks.into_iter().map(|block| block.init).collect())
}

fn read_values(piece: Piece, values: &mut Vec<f64>) -> Result<(), Fault> {
    for word in piece.words() {
        values.push(number::<f64>(word, "a value")?);
    }
    Ok(())
}

/// `s[<address>]:` and the values after it on the same line.
fn memory_block_start(code: Piece) -> Result<(u64, Piece), Fault> {
    let Some(inside) = strip_prefix_ignoring_case(code, 's', "[") else {
        let (word, _) = code.split_first_word();
        return Err(code.fault(format!("expected `s[<address>]:`, found {}", found(word.text))));
    };
    let Some(close) = inside.text.find(']') else {
        return Err(code.slice(1, 2).fault("missing `]` to close the address"));
    };
    let address = bounded(inside.slice(0, close).trim(), "the address", 0, u64::MAX)?;
    let after = inside.from(close + 1).trim();
    if !after.text.starts_with(':') {
        return Err(after.fault(format!("expected `:` after the address, found {}", found(after.text))));
    }
    Ok((address, after.from(1).trim()))
}

/// A block without values is refused when the next one starts, or at the end.
fn check_not_empty(block: Option<&Block>) -> Result<(), Fault> {
    match block {
        Some(block) if block.init.values.is_empty() => {
            Err(block.start.fault(format!("no values for s[{}]", block.init.address)))
        }
        _ => Ok(()),
    }
}

/// Overlapping blocks would make the initial contents depend on their order.
fn check_disjoint(blocks: &[Block]) -> Result<(), Fault> {
    // One past the last word, which may be 2^64.
    let end = |init: &MemoryInit| u128::from(init.address) + init.values.len() as u128;
    let describe = |init: &MemoryInit| format!("s[{}] with {}", init.address, quantity(init.values.len(), "value"));
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&index| blocks[index].init.address);
    for pair in order.windows(2) {
        if end(&blocks[pair[0]].init) <= u128::from(blocks[pair[1]].init.address) {
            continue;
        }
        // Report at the block written second, naming the other.
        let (earlier, later) = (&blocks[pair[0].min(pair[1])], &blocks[pair[0].max(pair[1])]);
        let message = format!(
            "{} overlaps {} (line {})",
            describe(&later.init),
            describe(&earlier.init),
            earlier.start.line.number
        );
        return Err(later.start.fault(message));
    }
    if let Some(&last) = order.last() {
        let block = &blocks[last];
        if end(&block.init) > u128::from(u64::MAX) + 1 {
            return Err(block.start.fault(format!("{} runs past the last address", describe(&block.init))));
        }
    }
    Ok(())
}

struct MemoryText<'a>(&'a [MemoryInit]);

impl fmt::Display for MemoryText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for init in self.0 {
            write!(f, "s[{}]:", init.address)?;
            for (index, line) in init.values.chunks(MEMORY_VALUES_PER_LINE).enumerate() {
                if index > 0 {
                    f.write_str("\n ")?;
                }
                for value in line {
                    write!(f, " {}", Float(*value))?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
