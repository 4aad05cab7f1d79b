using System.Buffers;
using System.Text.Json;
using Berth.Core.Streaming;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// The channel framing of the k8s.io WebSocket protocols (upstream wsstream): every binary message starts with
/// one byte naming the channel. For remotecommand: 0 stdin, 1 stdout, 2 stderr, 3 error (the Status), 4 resize
/// (JSON <c>{"Width":W,"Height":H}</c>), and in v5 255 CLOSE whose one-byte payload names the channel being
/// half-closed. For port-forward: 2i data and 2i+1 error of the i-th requested port, each opened by the port as two
/// little-endian bytes.
/// </summary>
internal static class ChannelCodec
{
    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Error = 3;
    public const byte Resize = 4;
    public const byte Close = 255;

    /// <summary>A message for <paramref name="channel"/>: the channel byte, then the payload.</summary>
    public static byte[] Encode(byte channel, ReadOnlySpan<byte> payload)
    {
        var message = new byte[payload.Length + 1];
        message[0] = channel;
        payload.CopyTo(message.AsSpan(1));
        return message;
    }

    /// <summary>The channel and payload of a received message, or false for an empty one (upstream ignores those).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> message, out byte channel, out ReadOnlyMemory<byte> payload)
    {
        if (message.IsEmpty)
        {
            channel = 0;
            payload = default;
            return false;
        }

        channel = message.Span[0];
        payload = message[1..];
        return true;
    }

    /// <summary>The port prefix of a port-forward channel's first message (little-endian, as the kubelet writes it).</summary>
    public static byte[] PortPrefix(byte channel, int port) => [channel, (byte)(port & 0xff), (byte)(port >> 8)];

    /// <summary>
    /// A resize message (remotecommand.TerminalSize marshalled by Go: <c>{"Width":80,"Height":24}</c>); null when it
    /// does not parse, which upstream logs and skips.
    /// </summary>
    public static TerminalSize? ParseResize(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            ushort width = 0, height = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Go's encoding/json matches field names case-insensitively.
                var name = reader.GetString();
                if (!reader.Read())
                {
                    return null;
                }

                if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out var value))
                {
                    if (string.Equals(name, "Width", StringComparison.OrdinalIgnoreCase))
                    {
                        width = value;
                    }
                    else if (string.Equals(name, "Height", StringComparison.OrdinalIgnoreCase))
                    {
                        height = value;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return new TerminalSize(width, height);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Splits a SPDY resize stream (consecutive JSON objects, one json.Encoder.Encode per size) into whole objects:
    /// returns the complete ones and leaves a partial tail in <paramref name="pending"/>.
    /// </summary>
    public static List<TerminalSize> ReadResizeStream(ArrayBufferWriter<byte> pending, ReadOnlySpan<byte> received)
    {
        pending.Write(received);
        var sizes = new List<TerminalSize>();
        var data = pending.WrittenSpan;
        var start = 0;
        var depth = 0;
        var inString = false;
        var escaped = false;
        for (var i = 0; i < data.Length; i++)
        {
            var b = data[i];
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == '\\')
                {
                    escaped = true;
                }
                else if (b == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (b)
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'{':
                    if (depth++ == 0)
                    {
                        start = i;
                    }

                    break;
                case (byte)'}':
                    if (depth > 0 && --depth == 0)
                    {
                        if (ParseResize(data[start..(i + 1)]) is { } size)
                        {
                            sizes.Add(size);
                        }

                        start = i + 1;
                    }

                    break;
                default:
                    if (depth == 0)
                    {
                        start = i + 1;
                    }

                    break;
            }
        }

        var tail = data[start..].ToArray();
        pending.Clear();
        pending.Write(tail);
        return sizes;
    }
}
