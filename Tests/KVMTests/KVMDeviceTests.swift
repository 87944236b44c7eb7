import KVM
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct KVMDeviceTests {
    @Test func missingDeviceIsNamedWithWhatToDo() {
        let why = KVMDevice.unavailableReason(path: "/nonexistent/kvm")
        #expect(why?.contains("/nonexistent/kvm does not exist") == true)
        #expect(why?.contains("hardware virtualization") == true)
    }

    @Test func aFileThatIsNotKVMIsRefused() {
        // /dev/null opens but answers no KVM ioctl.
        let why = KVMDevice.unavailableReason(path: "/dev/null")
        #expect(why?.contains("KVM_GET_API_VERSION") == true)
    }
}
