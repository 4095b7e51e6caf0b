using JasperFx.CodeGeneration;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Wolverine's handler code. A Release build compiles the code generated ahead of time under
/// Internal/Generated (scripts/codegen.sh writes it) and loads only that: no code generation or
/// Roslyn compilation at start-up or on the first request. Debug builds leave those files out and
/// generate the code at start-up, so endpoints can change freely while developing.
/// </summary>
public static class GeneratedCode
{
#if DEBUG
    public const TypeLoadMode Mode = TypeLoadMode.Dynamic;
#else
    public const TypeLoadMode Mode = TypeLoadMode.Static;
#endif

    /// <summary>What to run when the generated code no longer matches the endpoints and handlers.</summary>
    public const string Regenerate = "./scripts/codegen.sh";
}
