using System.Text.Json.Serialization;

namespace EnrolmentCases.Cases;

// The wire spellings below are part of the API contract and of the stored events: never rename them.

public enum CaseStage
{
    [JsonStringEnumMemberName("identified")] Identified,
    [JsonStringEnumMemberName("contacted")] Contacted,
    [JsonStringEnumMemberName("enrolled")] Enrolled,
    [JsonStringEnumMemberName("subsidized")] Subsidized,
    [JsonStringEnumMemberName("lapsed")] Lapsed,
    [JsonStringEnumMemberName("closed")] Closed
}

/// <summary>Where a worker was found.</summary>
public enum WorkerSource
{
    /// <summary>Data Pensasaran Percepatan Penghapusan Kemiskinan Ekstrem (extreme-poverty targeting data).</summary>
    [JsonStringEnumMemberName("P3KE")] P3Ke,
    /// <summary>Data Tunggal Sosial dan Ekonomi Nasional (national socio-economic data).</summary>
    [JsonStringEnumMemberName("DTSEN")] Dtsen,
    [JsonStringEnumMemberName("VILLAGE_LIST")] VillageList,
    [JsonStringEnumMemberName("PARTNER_LIST")] PartnerList,
    [JsonStringEnumMemberName("FIELD")] Field
}

public enum ContactChannel
{
    [JsonStringEnumMemberName("visit")] Visit,
    [JsonStringEnumMemberName("phone")] Phone,
    [JsonStringEnumMemberName("whatsapp")] WhatsApp,
    [JsonStringEnumMemberName("sms")] Sms,
    [JsonStringEnumMemberName("community_event")] CommunityEvent
}

public enum ContactOutcome
{
    [JsonStringEnumMemberName("reached")] Reached,
    [JsonStringEnumMemberName("unreachable")] Unreachable,
    [JsonStringEnumMemberName("refused")] Refused,
    [JsonStringEnumMemberName("wrong_contact")] WrongContact
}

public enum ClosureReason
{
    [JsonStringEnumMemberName("declined")] Declined,
    [JsonStringEnumMemberName("ineligible")] Ineligible,
    [JsonStringEnumMemberName("unreachable")] Unreachable,
    [JsonStringEnumMemberName("duplicate")] Duplicate,
    [JsonStringEnumMemberName("deceased")] Deceased,
    [JsonStringEnumMemberName("moved_away")] MovedAway,
    [JsonStringEnumMemberName("wage_earner")] WageEarner
}

/// <summary>A membership's status as BPJS Ketenagakerjaan reports it, or as our case stands (enrolled or subsidized and not lapsed: active).</summary>
public enum MembershipStatus
{
    [JsonStringEnumMemberName("active")] Active,
    [JsonStringEnumMemberName("inactive")] Inactive
}

/// <summary>How our record and the insurer's disagree.</summary>
public enum Drift
{
    [JsonStringEnumMemberName("activeHereInactiveThere")] ActiveHereInactiveThere,
    [JsonStringEnumMemberName("inactiveHereActiveThere")] InactiveHereActiveThere,
    [JsonStringEnumMemberName("paidThroughDiffers")] PaidThroughDiffers
}
