using System.Security.Cryptography;
using System.Text;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;

namespace EnrolmentCases.Budgets;

// One stream per payer, regency (for regency budgets) and year. Amounts are whole rupiah.

public record BudgetAllocated(Payer Payer, string? RegencyCode, int Year, long Amount, BudgetKind Kind, string? Note, DateTimeOffset RecordedAt);

/// <summary>A planner corrected the allocation (up or down) and said why; who is on the event's metadata.</summary>
public record AllocationAdjusted(Payer Payer, string? RegencyCode, int Year, long Amount, string Reason, DateTimeOffset RecordedAt);

/// <summary>A subsidy reserved premium x months of this budget for a case.</summary>
public record SubsidyCommitted(Guid CaseId, long Amount, YearMonth StartMonth, int Months, long MonthlyPremium, DateTimeOffset CommittedAt);

/// <summary>Money a subsidy reserved but will not spend, back in the remaining allocation.</summary>
public record CommitmentReleased(Guid CaseId, long Amount, SubsidyEndReason Reason, DateTimeOffset ReleasedAt);

/// <summary>A subsidised month's premium paid out of the commitment.</summary>
public record PremiumDisbursed(Guid CaseId, YearMonth Month, long Amount, DateTimeOffset RecordedAt);

/// <summary>
/// The ledger of one budget, folded from its stream. Invariants: allocated = committed + remaining,
/// remaining >= 0, paid <= committed (committed counts money reserved, spent or not).
/// </summary>
public sealed partial record Budget(Payer Payer, string? RegencyCode, int Year)
{
    public Guid Id { get; init; }
    public long Version { get; init; }
    public long Allocated { get; init; }
    public long Committed { get; init; }
    public long Paid { get; init; }
    public long Remaining => Allocated - Committed;

    public static Guid IdFor(Payer payer, string? regencyCode, int year)
    {
        // Deterministic, so that the first allocation and every grant find the same stream.
        var key = $"budget|{payer}|{regencyCode ?? "-"}|{year}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return new Guid(hash.AsSpan(0, 16));
    }

    public static Budget Create(BudgetAllocated e) => new(e.Payer, e.RegencyCode, e.Year) { Allocated = e.Amount };

    public static Budget Apply(BudgetAllocated e, Budget b) => b with { Allocated = b.Allocated + e.Amount };
    public static Budget Apply(AllocationAdjusted e, Budget b) => b with { Allocated = b.Allocated + e.Amount };
    public static Budget Apply(SubsidyCommitted e, Budget b) => b with { Committed = b.Committed + e.Amount };
    public static Budget Apply(CommitmentReleased e, Budget b) => b with { Committed = b.Committed - e.Amount };
    public static Budget Apply(PremiumDisbursed e, Budget b) => b with { Paid = b.Paid + e.Amount };

    /// <summary>A commitment fits when the whole of it is still unreserved; otherwise budget-exceeded (409).</summary>
    public static ProblemDetails? Refuses(Budget? budget, long commitment) =>
        commitment <= (budget?.Remaining ?? 0)
            ? null
            : Problems.Create(Problems.BudgetExceeded, 409, "The budget cannot cover this subsidy",
                $"The commitment of Rp {commitment:N0} exceeds the remaining allocation of Rp {budget?.Remaining ?? 0:N0}.",
                new Dictionary<string, object?> { ["remaining"] = budget?.Remaining ?? 0, ["requested"] = commitment });
}
