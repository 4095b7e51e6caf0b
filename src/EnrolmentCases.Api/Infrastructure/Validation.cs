
namespace EnrolmentCases.Infrastructure;

/// <summary>Collects field errors for one request; field names use the JSON (camelCase) spelling.</summary>
public sealed class ValidationErrors
{
    /// <summary>A command's input rules: a missing body, problem details naming every field to correct, or no problems.</summary>
    public static ProblemDetails Check<T>(T? command, Action<T, ValidationErrors> rules) where T : class
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        rules(command, errors);
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    private readonly Dictionary<string, List<string>> _errors = new();

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public void Required(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, "is required");
    }

    public void Required<T>(string field, T? value) where T : struct
    {
        if (value is null) Add(field, "is required");
    }

    public void MaxLength(string field, string? value, int max)
    {
        if (value != null && value.Length > max) Add(field, $"must be at most {max} characters");
    }

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(x => x.Key, x => x.Value.ToArray());

    public ProblemDetails ToProblem() => Problems.ValidationFailed(ToDictionary());
}
