//! Safe handles on IR: [`Module`], [`Op`], [`Value`], [`Type`], and
//! [`OpBuilder`] to create operations.
//!
//! Soundness rule: handles borrow the module immutably, and the only
//! operation that destroys IR ([`Module::erase_if_unused`]) needs
//! `&mut Module`, so no handle can outlive what it points to. Inserting
//! operations and redirecting uses never invalidate other handles.

use crate::context::Context;
use crate::diagnostic::{Diagnostic, Diagnostics, Error, Location};
use melior::ir::operation::{OperationLike, OperationRef};
use melior::ir::{BlockLike, RegionLike};
use mlir_sys as sys;
use std::fmt;
use std::mem::ManuallyDrop;

/// A parsed module. Printing gives the same text `mlir-opt` would.
pub struct Module<'c> {
    context: &'c Context,
    inner: melior::ir::Module<'c>,
    source_name: String,
}

impl<'c> Module<'c> {
    pub(crate) fn new(context: &'c Context, inner: melior::ir::Module<'c>, source_name: &str) -> Self {
        Module { context, inner, source_name: source_name.to_string() }
    }

    pub(crate) fn into_raw(self) -> sys::MlirModule {
        ManuallyDrop::new(self.inner).to_raw()
    }

    /// The file (or `<stdin>`) the module was read from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    pub fn context(&self) -> &'c Context {
        self.context
    }

    /// The module's text in MLIR's default form.
    pub fn print(&self) -> String {
        self.inner.as_operation().to_string()
    }

    /// The module's text with every op's location, as
    /// `mlir-opt --mlir-print-debuginfo` prints it.
    pub fn print_with_locations(&self) -> String {
        let flags = melior::ir::operation::OperationPrintingFlags::new().enable_debug_info(true, false);
        self.inner.as_operation().to_string_with_flags(flags).unwrap_or_else(|_| self.print())
    }

    /// Every operation nested in the module, in pre-order (parents before
    /// their bodies, then program order).
    pub fn operations(&self) -> Vec<Op<'_>> {
        let mut raws = Vec::new();
        self.inner.as_operation().walk(melior::ir::operation::WalkOrder::PreOrder, |op| {
            raws.push(op.to_raw());
            melior::ir::operation::WalkResult::Advance
        });
        let module_op = self.inner.as_operation().to_raw();
        raws.into_iter().filter(|raw| raw.ptr != module_op.ptr).map(|raw| Op { raw, module: self.as_ref() }).collect()
    }

    /// The module's own `builtin.module` operation: its attributes describe
    /// the whole module, its body holds the top-level operations.
    pub fn operation(&self) -> Op<'_> {
        Op { raw: self.inner.as_operation().to_raw(), module: self.as_ref() }
    }

    /// The operations named `name`, in program order.
    pub fn operations_named(&self, name: &str) -> Vec<Op<'_>> {
        self.operations().into_iter().filter(|op| op.name() == name).collect()
    }

    /// Runs MLIR's verifier (which checks our ops against their IRDL
    /// definitions), then the Rust verifiers of our ops; reports every
    /// violation found by the latter, each at its op's location.
    pub fn verify(&self) -> Result<(), Error> {
        self.context.take_diagnostics(&self.source_name);
        if !self.inner.as_operation().verify() {
            return Err(Error::Verify(self.context.take_diagnostics(&self.source_name)));
        }
        let mut diagnostics: Vec<Diagnostic> =
            self.operations().into_iter().filter_map(|op| crate::verify::verify_op(op).err()).collect();
        diagnostics.extend(crate::verify::verify_module(&self.operation().body()));
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(Error::Verify(Diagnostics(diagnostics)))
        }
    }

    /// Runs one upstream MLIR pass given in pipeline syntax, e.g.
    /// `canonicalize` or `cse`, on the whole module.
    pub fn run_upstream_pass(&mut self, pass: &str) -> Result<(), Error> {
        let manager = melior::pass::PassManager::new(self.context.mlir());
        melior::utility::parse_pass_pipeline(manager.as_operation_pass_manager(), &format!("builtin.module({pass})"))
            .map_err(|e| Error::Pipeline(format!("invalid upstream pass '{pass}': {e}")))?;
        self.context.take_diagnostics(&self.source_name);
        manager.run(&mut self.inner).map_err(|_| Error::Transform(self.context.take_diagnostics(&self.source_name)))
    }

    /// Erases the listed operations that have no uses left, repeating while
    /// erasing one frees another of the list. Returns how many were erased.
    /// Ids of ops that are gone or still used are ignored, so a pass can list
    /// what it replaced without tracking which replacements succeeded.
    pub fn erase_if_unused(&mut self, ids: &[OpId]) -> usize {
        let mut erased = 0;
        loop {
            let dead: Vec<sys::MlirOperation> = self
                .operations()
                .into_iter()
                .filter(|op| ids.contains(&op.id()) && op.results().iter().all(|v| v.use_count() == 0))
                .map(|op| op.raw)
                .collect();
            if dead.is_empty() {
                return erased;
            }
            erased += dead.len();
            for raw in dead {
                // SAFETY: `&mut self` guarantees no handle into the module is alive;
                // the op was found in the live module and has no uses, so erasing
                // it leaves valid IR. mlirOperationDestroy unlinks it first.
                unsafe { sys::mlirOperationDestroy(raw) };
            }
        }
    }

    /// Starts building an operation named `name` (e.g. `nn.conv2d`) at `location`.
    pub fn build<'m>(&'m self, name: &str, location: &Op<'m>) -> OpBuilder<'m> {
        OpBuilder {
            module: self.as_ref(),
            name: name.to_string(),
            location: location.raw_location(),
            operands: Vec::new(),
            results: Vec::new(),
            attributes: Vec::new(),
            body: None,
        }
    }

    /// Parses a type such as `tensor<64xf32>` or `!xbar.grid_ref` in this
    /// module's context.
    pub fn parse_type(&self, text: &str) -> Result<Type<'_>, Error> {
        let raw = melior::ir::Type::parse(self.context.mlir(), text)
            .map(|t| melior::ir::TypeLike::to_raw(&t))
            .ok_or_else(|| Error::Internal(format!("invalid type '{text}'")))?;
        Ok(Type { raw, _module: std::marker::PhantomData })
    }

    /// Handles are tied to the shortest lifetime of context and module borrow.
    fn as_ref(&self) -> &Module<'_> {
        self
    }

    pub(crate) fn diagnostic_at(&self, raw: sys::MlirLocation, message: String) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(location_from_raw(raw), message);
        name_source(&mut diagnostic, &self.source_name);
        diagnostic
    }
}

/// An operation in a module.
#[derive(Clone, Copy)]
pub struct Op<'m> {
    raw: sys::MlirOperation,
    module: &'m Module<'m>,
}

impl PartialEq for Op<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.raw.ptr == other.raw.ptr
    }
}

/// Names an operation without borrowing the module, so that a pass can list
/// ops to erase once its handles are gone. Never dereferenced: only compared
/// against the operations found in a live module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpId(usize);

impl<'m> Op<'m> {
    pub fn id(&self) -> OpId {
        OpId(self.raw.ptr as usize)
    }

    fn operation_ref(&self) -> OperationRef<'m, 'm> {
        // SAFETY: `raw` is a live operation of `module`, which outlives 'm.
        unsafe { OperationRef::from_raw(self.raw) }
    }

    /// The full name, e.g. `nn.conv2d`.
    pub fn name(&self) -> String {
        self.operation_ref().name().as_string_ref().as_str().unwrap_or("").to_string()
    }

    fn raw_location(&self) -> sys::MlirLocation {
        // SAFETY: plain getter on a live operation.
        unsafe { sys::mlirOperationGetLocation(self.raw) }
    }

    pub fn location(&self) -> Location {
        let mut location = location_from_raw(self.raw_location());
        rename_empty_file(&mut location, self.module.source_name());
        location
    }

    /// A diagnostic about this op, located at it.
    pub fn diagnostic(&self, message: impl Into<String>) -> Diagnostic {
        self.module.diagnostic_at(self.raw_location(), message.into())
    }

    /// An error about this op, located at it.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Transform(Diagnostics(vec![self.diagnostic(message)]))
    }

    pub fn operand_count(&self) -> usize {
        self.operation_ref().operand_count()
    }

    pub fn operand(&self, index: usize) -> Option<Value<'m>> {
        (index < self.operand_count()).then(|| Value {
            // SAFETY: index checked above.
            raw: unsafe { sys::mlirOperationGetOperand(self.raw, index as isize) },
            module: self.module,
        })
    }

    pub fn operands(&self) -> Vec<Value<'m>> {
        (0..self.operand_count()).filter_map(|i| self.operand(i)).collect()
    }

    pub fn result_count(&self) -> usize {
        self.operation_ref().result_count()
    }

    pub fn result(&self, index: usize) -> Option<Value<'m>> {
        (index < self.result_count()).then(|| Value {
            // SAFETY: index checked above.
            raw: unsafe { sys::mlirOperationGetResult(self.raw, index as isize) },
            module: self.module,
        })
    }

    pub fn results(&self) -> Vec<Value<'m>> {
        (0..self.result_count()).filter_map(|i| self.result(i)).collect()
    }

    /// The attribute `name`, inherent or discardable.
    pub fn attribute(&self, name: &str) -> Option<Attribute<'m>> {
        self.operation_ref().attribute(name).ok().map(|a| Attribute {
            raw: melior::ir::attribute::AttributeLike::to_raw(&a),
            _module: std::marker::PhantomData,
        })
    }

    /// Sets (or replaces) the attribute `name`. Like inserting ops, this
    /// leaves every other handle valid.
    pub fn set_attribute(&self, name: &str, value: &AttributeValue) -> Result<(), Error> {
        let text = value.to_mlir();
        let attribute = melior::ir::Attribute::parse(self.module.context().mlir(), &text)
            .ok_or_else(|| Error::Internal(format!("invalid attribute {name} = {text}")))?;
        // SAFETY: sets an attribute of a live operation of this module.
        unsafe {
            sys::mlirOperationSetAttributeByName(
                self.raw,
                melior::StringRef::new(name).to_raw(),
                melior::ir::attribute::AttributeLike::to_raw(&attribute),
            );
        }
        Ok(())
    }

    /// The operation after this one in its block, if any.
    pub fn next(&self) -> Option<Op<'m>> {
        self.operation_ref().next_in_block().map(|next| Op { raw: next.to_raw(), module: self.module })
    }

    /// The operation this one is nested in (a `func.func`, an `scf.for`, ...).
    pub fn parent(&self) -> Option<Op<'m>> {
        // SAFETY: plain getter; a null result means no parent.
        let raw = unsafe { sys::mlirOperationGetParentOperation(self.raw) };
        (!raw.ptr.is_null()).then_some(Op { raw, module: self.module })
    }

    /// The operations directly inside this op's regions, in order.
    pub fn body(&self) -> Vec<Op<'m>> {
        let mut ops = Vec::new();
        for region in self.operation_ref().regions() {
            let mut block = region.first_block();
            while let Some(b) = block {
                let mut op = b.first_operation();
                while let Some(o) = op {
                    ops.push(Op { raw: o.to_raw(), module: self.module });
                    op = o.next_in_block();
                }
                block = b.next_in_region();
            }
        }
        ops
    }

    /// The arguments of the first block of this op's first region: a loop's
    /// induction variable, a function's parameters. Empty for an op without
    /// regions.
    pub fn body_arguments(&self) -> Vec<Value<'m>> {
        let operation = self.operation_ref();
        let Some(block) = operation.regions().next().and_then(|region| region.first_block()) else {
            return Vec::new();
        };
        (0..block.argument_count())
            .filter_map(|i| block.argument(i).ok())
            .map(|argument| Value { raw: melior::ir::ValueLike::to_raw(&argument), module: self.module })
            .collect()
    }
}

impl fmt::Display for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation_ref())
    }
}

/// An SSA value: an op result or a block argument.
#[derive(Clone, Copy)]
pub struct Value<'m> {
    raw: sys::MlirValue,
    module: &'m Module<'m>,
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: comparison of two live values.
        unsafe { sys::mlirValueEqual(self.raw, other.raw) }
    }
}

impl<'m> Value<'m> {
    pub fn ty(&self) -> Type<'m> {
        // SAFETY: plain getter on a live value.
        Type { raw: unsafe { sys::mlirValueGetType(self.raw) }, _module: std::marker::PhantomData }
    }

    /// The op producing this value; `None` for block arguments.
    pub fn defining_op(&self) -> Option<Op<'m>> {
        // SAFETY: the owner is only read for op results.
        unsafe {
            sys::mlirValueIsAOpResult(self.raw)
                .then(|| Op { raw: sys::mlirOpResultGetOwner(self.raw), module: self.module })
        }
    }

    /// The ops using this value, once per use.
    pub fn users(&self) -> Vec<Op<'m>> {
        let mut users = Vec::new();
        // SAFETY: walking the use list of a live value.
        unsafe {
            let mut use_ = sys::mlirValueGetFirstUse(self.raw);
            while !sys::mlirOpOperandIsNull(use_) {
                users.push(Op { raw: sys::mlirOpOperandGetOwner(use_), module: self.module });
                use_ = sys::mlirOpOperandGetNextUse(use_);
            }
        }
        users
    }

    /// The position of a block argument in its block (a function's
    /// parameter number); `None` for op results.
    pub fn argument_number(&self) -> Option<usize> {
        // SAFETY: the number is only read for block arguments.
        unsafe {
            sys::mlirValueIsABlockArgument(self.raw).then(|| sys::mlirBlockArgumentGetArgNumber(self.raw) as usize)
        }
    }

    /// Where the value is defined: a block argument's own location (a
    /// function parameter's `loc(...)`), an op result's op location.
    pub fn location(&self) -> Location {
        // SAFETY: plain getter on a live value.
        let mut location = location_from_raw(unsafe { sys::mlirValueGetLocation(self.raw) });
        rename_empty_file(&mut location, self.module.source_name());
        location
    }

    pub fn use_count(&self) -> usize {
        self.users().len()
    }

    /// Makes every user of this value use `other` instead.
    pub fn replace_all_uses_with(&self, other: Value<'m>) {
        // SAFETY: both values are live and in the same module.
        unsafe { sys::mlirValueReplaceAllUsesOfWith(self.raw, other.raw) }
    }
}

/// A type, e.g. `tensor<1x3x224x224xf32>` or `index`.
#[derive(Clone, Copy)]
pub struct Type<'m> {
    raw: sys::MlirType,
    _module: std::marker::PhantomData<&'m ()>,
}

impl PartialEq for Type<'_> {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: types are uniqued in the context; comparing is a pointer compare.
        unsafe { sys::mlirTypeEqual(self.raw, other.raw) }
    }
}

impl Type<'_> {
    /// The dimensions of a ranked tensor with a static shape.
    pub fn static_shape(&self) -> Option<Vec<i64>> {
        // SAFETY: shaped-type getters are only called on ranked tensors.
        unsafe {
            if !sys::mlirTypeIsARankedTensor(self.raw) || !sys::mlirShapedTypeHasStaticShape(self.raw) {
                return None;
            }
            let rank = sys::mlirShapedTypeGetRank(self.raw);
            Some((0..rank).map(|d| sys::mlirShapedTypeGetDimSize(self.raw, d as isize)).collect())
        }
    }

    /// Whether this is a tensor of f32.
    pub fn is_f32_tensor(&self) -> bool {
        // SAFETY: element type is only read for tensors.
        unsafe { sys::mlirTypeIsATensor(self.raw) && sys::mlirTypeIsAF32(sys::mlirShapedTypeGetElementType(self.raw)) }
    }
}

impl fmt::Display for Type<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: type handle is uniqued in the context; melior only prints it.
        write!(f, "{}", unsafe { melior::ir::Type::from_raw(self.raw) })
    }
}

/// `tensor<d0xd1x...xf32>`: the type of an f32 tensor of `shape`, the only
/// element type our dialects use.
pub fn tensor_type_text(shape: &[i64]) -> String {
    let dims: String = shape.iter().map(|d| format!("{d}x")).collect();
    format!("tensor<{dims}f32>")
}

/// An attribute value with typed readers.
#[derive(Clone, Copy)]
pub struct Attribute<'m> {
    raw: sys::MlirAttribute,
    _module: std::marker::PhantomData<&'m ()>,
}

impl Attribute<'_> {
    /// An integer attribute's value (booleans read as 0/1).
    pub fn as_i64(&self) -> Option<i64> {
        // SAFETY: getters are only called after the kind check.
        unsafe {
            if sys::mlirAttributeIsABool(self.raw) {
                Some(sys::mlirBoolAttrGetValue(self.raw) as i64)
            } else if sys::mlirAttributeIsAInteger(self.raw) {
                Some(sys::mlirIntegerAttrGetValueInt(self.raw))
            } else {
                None
            }
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        // SAFETY: getter only called after the kind check.
        unsafe { sys::mlirAttributeIsAFloat(self.raw).then(|| sys::mlirFloatAttrGetValueDouble(self.raw)) }
    }

    pub fn as_string(&self) -> Option<String> {
        // SAFETY: getter only called after the kind check; the string is copied.
        unsafe { sys::mlirAttributeIsAString(self.raw).then(|| string_from_raw(sys::mlirStringAttrGetValue(self.raw))) }
    }

    /// The attribute as a plain value, for the kinds [`AttributeValue`]
    /// has: integers, floats, booleans, strings, `i64` arrays, and
    /// dictionaries of those (entries in MLIR's sorted order). `None` for
    /// any other kind, anywhere inside.
    pub fn to_value(&self) -> Option<AttributeValue> {
        // SAFETY: each getter is called only after its kind check, dictionary
        // elements within bounds.
        unsafe {
            if sys::mlirAttributeIsADictionary(self.raw) {
                let n = sys::mlirDictionaryAttrGetNumElements(self.raw);
                let mut entries = Vec::with_capacity(n.max(0) as usize);
                for i in 0..n {
                    let named = sys::mlirDictionaryAttrGetElement(self.raw, i);
                    let name = string_from_raw(sys::mlirIdentifierStr(named.name));
                    let value = Attribute { raw: named.attribute, _module: std::marker::PhantomData }.to_value()?;
                    entries.push((name, value));
                }
                return Some(AttributeValue::Dictionary(entries));
            }
            if sys::mlirAttributeIsABool(self.raw) {
                return Some(AttributeValue::Bool(sys::mlirBoolAttrGetValue(self.raw)));
            }
        }
        self.as_i64()
            .map(AttributeValue::I64)
            .or_else(|| self.as_f64().map(AttributeValue::F64))
            .or_else(|| self.as_string().map(AttributeValue::String))
            .or_else(|| self.as_i64_array().map(AttributeValue::I64Array))
    }

    /// A symbol reference's name (`@core_0` gives `core_0`).
    pub fn as_symbol(&self) -> Option<String> {
        // SAFETY: getter only called after the kind check; the string is copied.
        unsafe {
            sys::mlirAttributeIsAFlatSymbolRef(self.raw)
                .then(|| string_from_raw(sys::mlirFlatSymbolRefAttrGetValue(self.raw)))
        }
    }

    pub fn as_i64_array(&self) -> Option<Vec<i64>> {
        // SAFETY: element getters only called after the kind check, within bounds.
        unsafe {
            if !sys::mlirAttributeIsADenseI64Array(self.raw) {
                return None;
            }
            let n = sys::mlirDenseArrayGetNumElements(self.raw);
            Some((0..n).map(|i| sys::mlirDenseI64ArrayGetElement(self.raw, i)).collect())
        }
    }
}

impl fmt::Display for Attribute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: printing a live attribute.
        write!(f, "{}", unsafe { melior::ir::Attribute::from_raw(self.raw) })
    }
}

/// An attribute value to attach to a new operation.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    I64(i64),
    I64Array(Vec<i64>),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    /// `{name = value, ...}`: a dictionary attribute.
    Dictionary(Vec<(String, AttributeValue)>),
    /// Any attribute in MLIR syntax, e.g. `dense<1.0> : tensor<4xf32>`.
    Text(String),
}

impl AttributeValue {
    /// The attribute in MLIR syntax.
    pub fn to_mlir(&self) -> String {
        match self {
            AttributeValue::I64(v) => format!("{v} : i64"),
            AttributeValue::I64Array(values) => {
                let items: Vec<String> = values.iter().map(i64::to_string).collect();
                format!("array<i64: {}>", items.join(", "))
            }
            AttributeValue::F32(v) => format!("{} : f32", float_literal(f64::from(*v))),
            AttributeValue::F64(v) => format!("{} : f64", float_literal(*v)),
            AttributeValue::Bool(v) => v.to_string(),
            AttributeValue::String(s) => string_literal(s),
            AttributeValue::Dictionary(entries) => {
                let items: Vec<String> = entries
                    .iter()
                    .map(|(name, value)| format!("{} = {}", string_literal(name), value.to_mlir()))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            AttributeValue::Text(t) => t.clone(),
        }
    }
}

/// A string in MLIR's literal syntax: quotes and backslashes escaped,
/// control characters as two-digit hex escapes (`\0A`), the rest as is.
pub fn string_literal(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                literal.push('\\');
                literal.push(c);
            }
            c if c.is_ascii_control() => literal.push_str(&format!("\\{:02X}", c as u32)),
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

/// An f32 value in MLIR's literal syntax, which needs a decimal point
/// (`1.0e-05`, never `1e-5`); infinities and NaN as f32 bit patterns. Exact:
/// the text reads back as the same value.
pub fn float_literal(value: f64) -> String {
    if !value.is_finite() {
        // MLIR has no word for infinity or NaN: it takes the f32 bit pattern.
        return format!("0x{:08X}", (value as f32).to_bits());
    }
    let text = format!("{value:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !mantissa.contains('.') => format!("{mantissa}.0e{exponent}"),
        _ => text,
    }
}

/// Builds one operation and inserts it before an existing one, or at the
/// end of the module.
pub struct OpBuilder<'m> {
    module: &'m Module<'m>,
    name: String,
    location: sys::MlirLocation,
    operands: Vec<Value<'m>>,
    results: Vec<Type<'m>>,
    attributes: Vec<(String, AttributeValue)>,
    /// The argument types and the terminator of the op's one-block body.
    body: Option<(Vec<Type<'m>>, String)>,
}

impl<'m> OpBuilder<'m> {
    pub fn operand(mut self, value: Value<'m>) -> Self {
        self.operands.push(value);
        self
    }

    pub fn result(mut self, ty: Type<'m>) -> Self {
        self.results.push(ty);
        self
    }

    /// Locates the new op at all of `ops` (a fused location), for an op
    /// that replaces several, e.g. a conv with a batchnorm folded into it.
    pub fn fused_location(mut self, ops: &[Op<'m>]) -> Self {
        let locations: Vec<sys::MlirLocation> = ops.iter().map(Op::raw_location).collect();
        // SAFETY: the locations belong to this module's context; a null
        // attribute means no metadata.
        self.location = unsafe {
            sys::mlirLocationFusedGet(
                self.module.context().mlir().to_raw(),
                locations.len() as isize,
                locations.as_ptr(),
                sys::MlirAttribute { ptr: std::ptr::null() },
            )
        };
        self
    }

    pub fn attribute(mut self, name: &str, value: AttributeValue) -> Self {
        self.attributes.push((name.to_string(), value));
        self
    }

    /// Gives the op a body: one region of one block with arguments of
    /// `arguments` types (a loop's induction variable, say), holding only
    /// `terminator`, an op without operands (`func.return`, `scf.yield`).
    /// The body is filled by inserting before that terminator, the last op
    /// of [`Op::body`]; [`Op::body_arguments`] gives the block's arguments.
    pub fn body(mut self, arguments: &[Type<'m>], terminator: &str) -> Self {
        self.body = Some((arguments.to_vec(), terminator.to_string()));
        self
    }

    /// Creates the op right before `anchor` and returns its only result.
    pub fn insert_value_before(self, anchor: Op<'m>) -> Result<Value<'m>, Error> {
        let op = self.insert_before(anchor)?;
        op.result(0).ok_or_else(|| Error::Internal(format!("{} was built without a result", op.name())))
    }

    /// Creates the op right before `anchor`, in the same block.
    pub fn insert_before(self, anchor: Op<'m>) -> Result<Op<'m>, Error> {
        let operation = self.create()?;
        let block = anchor
            .operation_ref()
            .block()
            .ok_or_else(|| Error::Internal(format!("{} is not in a block", anchor.name())))?;
        let inserted = block.insert_operation_before(anchor.operation_ref(), operation);
        Ok(Op { raw: inserted.to_raw(), module: self.module })
    }

    /// Creates the op at the end of the module's body, e.g. a new function.
    pub fn append_to_module(self) -> Result<Op<'m>, Error> {
        let operation = self.create()?;
        let appended = self.module.inner.body().append_operation(operation);
        Ok(Op { raw: appended.to_raw(), module: self.module })
    }

    /// The operation, not yet inserted anywhere.
    fn create(&self) -> Result<melior::ir::Operation<'m>, Error> {
        let mlir = self.module.context().mlir();
        // SAFETY: the location belongs to this module's context.
        let location = unsafe { melior::ir::Location::from_raw(self.location) };
        let mut attributes = Vec::new();
        for (name, value) in &self.attributes {
            let text = value.to_mlir();
            let attribute = melior::ir::Attribute::parse(mlir, &text)
                .ok_or_else(|| Error::Internal(format!("invalid attribute {name} = {text}")))?;
            attributes.push((melior::ir::Identifier::new(mlir, name), attribute));
        }
        // SAFETY: operands and result types are live handles of this module's context.
        let operands: Vec<melior::ir::Value> =
            self.operands.iter().map(|v| unsafe { melior::ir::Value::from_raw(v.raw) }).collect();
        let results: Vec<melior::ir::Type> =
            self.results.iter().map(|t| unsafe { melior::ir::Type::from_raw(t.raw) }).collect();
        let mut regions = Vec::new();
        if let Some((arguments, terminator)) = &self.body {
            // SAFETY: the argument types are live handles of this module's context.
            let arguments: Vec<(melior::ir::Type, melior::ir::Location)> =
                arguments.iter().map(|t| (unsafe { melior::ir::Type::from_raw(t.raw) }, location)).collect();
            let block = melior::ir::Block::new(&arguments);
            let end = melior::ir::operation::OperationBuilder::new(terminator, location)
                .build()
                .map_err(|e| Error::Internal(format!("cannot build {terminator}: {e}")))?;
            block.append_operation(end);
            let region = melior::ir::Region::new();
            region.append_block(block);
            regions.push(region);
        }
        melior::ir::operation::OperationBuilder::new(&self.name, location)
            .add_operands(&operands)
            .add_results(&results)
            .add_attributes(&attributes)
            .add_regions_vec(regions)
            .build()
            .map_err(|e| Error::Internal(format!("cannot build {}: {e}", self.name)))
    }
}

unsafe fn string_from_raw(raw: sys::MlirStringRef) -> String {
    if raw.length == 0 {
        return String::new();
    }
    // SAFETY: MLIR string refs point at `length` valid bytes.
    let bytes = unsafe { std::slice::from_raw_parts(raw.data as *const u8, raw.length) };
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn location_from_raw(raw: sys::MlirLocation) -> Location {
    // SAFETY: each getter is called only after the matching kind check.
    unsafe {
        if sys::mlirLocationIsAFileLineColRange(raw) {
            let file = string_from_raw(sys::mlirIdentifierStr(sys::mlirLocationFileLineColRangeGetFilename(raw)));
            Location::File {
                file,
                line: sys::mlirLocationFileLineColRangeGetStartLine(raw).max(0) as usize,
                column: sys::mlirLocationFileLineColRangeGetStartColumn(raw).max(0) as usize,
            }
        } else if sys::mlirLocationIsAName(raw) {
            let name = string_from_raw(sys::mlirIdentifierStr(sys::mlirLocationNameGetName(raw)));
            let child = location_from_raw(sys::mlirLocationNameGetChildLoc(raw));
            Location::Name { name, at: (child != Location::Unknown).then(|| Box::new(child)) }
        } else if sys::mlirLocationIsAFused(raw) {
            let n = sys::mlirLocationFusedGetNumLocations(raw);
            let mut locations = vec![sys::MlirLocation { ptr: std::ptr::null_mut() }; n as usize];
            sys::mlirLocationFusedGetLocations(raw, locations.as_mut_ptr());
            locations.into_iter().map(location_from_raw).find(|l| *l != Location::Unknown).unwrap_or(Location::Unknown)
        } else {
            Location::Unknown
        }
    }
}

/// MLIR parses from an unnamed buffer; attribute its positions to `source`,
/// and a named location without a position (`loc("relu1")`, whose position
/// the parser drops) to the file at least.
pub(crate) fn name_source(diagnostic: &mut Diagnostic, source: &str) {
    rename_empty_file(&mut diagnostic.location, source);
    if let Location::Name { at: at @ None, .. } = &mut diagnostic.location {
        *at = Some(Box::new(Location::File { file: source.to_string(), line: 0, column: 0 }));
    }
    for note in &mut diagnostic.notes {
        name_source(note, source);
    }
}

fn rename_empty_file(location: &mut Location, source: &str) {
    match location {
        Location::File { file, .. } if file.is_empty() || file == "-" => *file = source.to_string(),
        Location::Name { at: Some(at), .. } => rename_empty_file(at, source),
        _ => {}
    }
}
