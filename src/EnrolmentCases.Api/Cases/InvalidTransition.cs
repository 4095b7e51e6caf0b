namespace EnrolmentCases.Cases;

/// <summary>Thrown by a case decision when the command does not fit the case's current stage.</summary>
public sealed class InvalidTransition(CaseStage stage, string message) : Exception(message)
{
    public CaseStage Stage { get; } = stage;
}
