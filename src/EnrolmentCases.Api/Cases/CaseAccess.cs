using System.Security.Claims;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Cases;

/// <summary>
/// The steps every command on an existing case takes once the case is loaded (under its row lock)
/// and before anything is decided. Applied by policy to those endpoints (see Configuration).
/// </summary>
public static class CaseAccess
{
    /// <summary>
    /// Only caseworkers of the case's regency may change it; to anyone else it does not exist (404). A case that may be
    /// changed hands its stream's tail to the session (<see cref="HandTail"/>).
    /// </summary>
    public static ProblemDetails Before(Guid id, Case? @case, ClaimsPrincipal user, IDocumentSession session)
    {
        if (@case is null || !Caller.From(user).CanChangeCasesOf(@case.RegencyCode)) return Problems.CaseNotFound(id);
        HandTail(session, @case);
        return WolverineContinue.NoProblems;
    }

    /// <summary>
    /// The tail of the stream the case was folded from, read under the stream's lock, handed to the session that will
    /// append to it: the MAC listener chains the new events to it without reading it again (ADR 0046). Every writer of a
    /// locked case calls it: the HTTP commands here, the case sweep and an erasure's marks.
    /// </summary>
    public static void HandTail(IDocumentSession session, Case @case)
    {
        if (@case.Tail is { } tail) StreamTails.Remember(session, @case.Id, tail);
    }
}

/// <summary>A command that may say which version of the case it was decided on.</summary>
public interface IExpectVersion
{
    long? ExpectedVersion { get; }
}

public static class ExpectedVersionCheck
{
    /// <summary>The version from the body's expectedVersion or If-Match must be the case's own, or nothing is written (409).</summary>
    public static ProblemDetails Before(IExpectVersion? command, Case? @case, HttpRequest request)
    {
        // A body of JSON null deserializes to no command: the input rules' answer, not a server error.
        if (command is null) return Problems.MissingBody;
        if (!ETags.TryExpectedVersion(command.ExpectedVersion, request, out var expected, out var error))
            return Problems.ValidationFailed("expectedVersion", error!);
        return @case is null || expected is null || expected == @case.Version
            ? WolverineContinue.NoProblems
            : Problems.Conflict(@case.Version, expected.Value);
    }
}
