namespace Berth.Node.Dns;

/// <summary>RFC 1035 / 2782 / 6891 numbers the cluster DNS server speaks.</summary>
internal static class DnsConstants
{
    public const int HeaderLength = 12;
    public const int MaxNameLength = 255;
    public const int MaxLabelLength = 63;

    /// <summary>The classic UDP payload limit without EDNS (RFC 1035 §4.2.1).</summary>
    public const int ClassicUdpPayload = 512;

    /// <summary>The EDNS payload size Berth advertises and honours at most (the DNS flag day 2020 value).</summary>
    public const int EdnsUdpPayload = 1232;

    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeCname = 5;
    public const ushort TypeSoa = 6;
    public const ushort TypePtr = 12;
    public const ushort TypeAaaa = 28;
    public const ushort TypeSrv = 33;
    public const ushort TypeOpt = 41;
    public const ushort TypeAny = 255;
    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    public const int RcodeNoError = 0;
    public const int RcodeFormErr = 1;
    public const int RcodeServFail = 2;
    public const int RcodeNxDomain = 3;
    public const int RcodeNotImp = 4;
    public const int RcodeRefused = 5;
}
